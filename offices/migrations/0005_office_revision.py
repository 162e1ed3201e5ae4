"""Office.revision, kept by the database: every write to an office's slot rules, closures or
terms versions gives it a new random value, and a write to a standard terms version (office
NULL) gives every office one. Triggers, so that no writer can forget (offices.timetable)."""

from typing import Any

from django.db import migrations, models

import offices.models

TABLES = ("offices_slotrulerow", "offices_closure", "offices_termsversion")

# SQLite: random() is a random 64-bit integer. A row with office NULL (standard terms) is
# every office's business.
SQLITE_TRIGGER = """
CREATE TRIGGER {table}_revision_{event} AFTER {event} ON {table} BEGIN
    UPDATE offices_office SET revision = random() WHERE {where};
END
"""
SQLITE_WHERE = {
    "insert": "id = NEW.office_id OR NEW.office_id IS NULL",
    "update": "id IN (OLD.office_id, NEW.office_id) OR OLD.office_id IS NULL OR NEW.office_id IS NULL",
    "delete": "id = OLD.office_id OR OLD.office_id IS NULL",
}

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION offices_new_revision() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    fresh bigint := floor(random() * 4611686018427387903)::bigint;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE offices_office SET revision = fresh WHERE id = OLD.office_id OR OLD.office_id IS NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE offices_office SET revision = fresh WHERE id = NEW.office_id OR NEW.office_id IS NULL;
    END IF;
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER {table}_revision AFTER INSERT OR UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION offices_new_revision()
"""


def create_triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for table in TABLES:
            for event, where in SQLITE_WHERE.items():
                schema_editor.execute(SQLITE_TRIGGER.format(table=table, event=event, where=where))
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION)
        for table in TABLES:
            schema_editor.execute(POSTGRES_TRIGGER.format(table=table))
    else:
        raise NotImplementedError(f"no revision triggers for {vendor}")


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            for event in SQLITE_WHERE:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_revision_{event}")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS offices_new_revision()")


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0004_office_validators"),
    ]

    operations = [
        migrations.AddField(
            model_name="office",
            name="revision",
            field=models.BigIntegerField(default=offices.models.new_revision, editable=False),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
