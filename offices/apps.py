from typing import Any

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate, pre_migrate


def _publish_standard_terms(**kwargs: Any) -> None:
    from offices.terms import publish_standard_terms

    publish_standard_terms()


def _drop_revision_triggers(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    from offices.triggers import drop_before_migrate

    drop_before_migrate(connections[using])


def _make_revision_triggers(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    from offices.triggers import make_after_migrate

    make_after_migrate(connections[using])


class OfficesConfig(AppConfig):
    name = "offices"
    verbose_name = "Offices and schedules"

    def ready(self) -> None:
        # The standard terms ship with the code, so `migrate` publishes them (SPEC §4).
        post_migrate.connect(_publish_standard_terms, sender=self, dispatch_uid="publish_standard_terms")
        # Office.revision is kept by triggers, remade around every `migrate` (offices/triggers.py).
        pre_migrate.connect(_drop_revision_triggers, sender=self, dispatch_uid="drop_revision_triggers")
        post_migrate.connect(_make_revision_triggers, sender=self, dispatch_uid="make_revision_triggers")
        # What each process remembers of an office's timetable forgets this process's own writes.
        from offices import timetable  # noqa: F401
