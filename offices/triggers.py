"""The database triggers that keep Office.revision (offices.timetable): every insert, update or
delete of an office's slot rules, closures or terms versions gives the office a new random
revision, and a standard terms version (office NULL) gives every office one.

They are (re)made after every `migrate` (offices.apps), and on SQLite dropped before it: SQLite
remakes a table to alter it, which drops the table's triggers, and a trigger naming
offices_office would stop offices_office itself from being remade. What `migrate` writes
meanwhile is covered by the new revision every office gets once the triggers are back.
"""

from __future__ import annotations

from typing import Any

TABLES = ("offices_slotrulerow", "offices_closure", "offices_termsversion")

SQLITE_WHERE = {
    "insert": "id = NEW.office_id OR NEW.office_id IS NULL",
    "update": "id IN (OLD.office_id, NEW.office_id) OR OLD.office_id IS NULL OR NEW.office_id IS NULL",
    "delete": "id = OLD.office_id OR OLD.office_id IS NULL",
}
# random(): a random 64-bit integer on SQLite; a new one for each row it is computed for.
SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS {table}_revision_{event} AFTER {event} ON {table} BEGIN
    UPDATE offices_office SET revision = random() WHERE {where};
END
"""
POSTGRES_RANDOM = "floor(random() * 4611686018427387903)::bigint"
POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION offices_new_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE offices_office SET revision = {POSTGRES_RANDOM}
        WHERE id = OLD.office_id OR OLD.office_id IS NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE offices_office SET revision = {POSTGRES_RANDOM}
        WHERE id = NEW.office_id OR NEW.office_id IS NULL;
    END IF;
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER {table}_revision AFTER INSERT OR UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION offices_new_revision()
"""


def _has_revision(connection: Any) -> bool:
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if not {"offices_office", *TABLES} <= tables:
            return False
        columns = connection.introspection.get_table_description(cursor, "offices_office")
    return any(column.name == "revision" for column in columns)


def drop_before_migrate(connection: Any) -> None:
    if connection.vendor != "sqlite":
        return  # PostgreSQL alters tables in place: the triggers stay
    with connection.cursor() as cursor:
        for table in TABLES:
            for event in SQLITE_WHERE:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_revision_{event}")


def make_after_migrate(connection: Any) -> None:
    if not _has_revision(connection):
        return  # migrated back before offices 0005
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in TABLES:
                for event, where in SQLITE_WHERE.items():
                    cursor.execute(SQLITE_TRIGGER.format(table=table, event=event, where=where))
            cursor.execute("UPDATE offices_office SET revision = random()")
        elif connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTION)
            for table in TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
                cursor.execute(POSTGRES_TRIGGER.format(table=table))
            cursor.execute(f"UPDATE offices_office SET revision = {POSTGRES_RANDOM}")
        else:
            raise NotImplementedError(f"no revision triggers for {connection.vendor}")
