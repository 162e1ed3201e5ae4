from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _publish_standard_terms(**kwargs: Any) -> None:
    from offices.terms import publish_standard_terms

    publish_standard_terms()


class OfficesConfig(AppConfig):
    name = "offices"
    verbose_name = "Offices and schedules"

    def ready(self) -> None:
        # The standard terms ship with the code, so `migrate` publishes them (SPEC §4).
        post_migrate.connect(_publish_standard_terms, sender=self, dispatch_uid="publish_standard_terms")
        # What each process remembers of an office's timetable forgets this process's own writes.
        from offices import timetable  # noqa: F401
