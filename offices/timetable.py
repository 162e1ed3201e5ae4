"""What an office offers (slot rules, closures, terms versions), remembered per process.

The database gives Office.revision a new random value whenever any of these change (triggers,
offices/migrations/0005), whoever writes them. The office row is read on every request anyway,
so its revision tells at no extra query whether what this process remembers still holds: a
new closure, timetable or terms version is seen by the next request that reads the office.
An Office instance read before a change keeps its old revision, and so sees the timetable
as of its own reading; writes made in this process also forget at once (signals below), so
that code holding such an instance sees its own changes. Seats are never remembered: they
are always counted in the database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from offices.models import Closure, Office, SlotRuleRow, TermsVersion
from offices.schedule import SlotRule


@dataclass(frozen=True)
class TermsEntry:
    pk: int
    own: bool  # the office's own version (else a standard one)
    effective_date: date


@dataclass(frozen=True)
class Timetable:
    rules: tuple[SlotRule, ...]
    closures: frozenset[date]
    # R12: newest first, the office's own versions before the standard ones, as terms_in_force.
    terms: tuple[TermsEntry, ...]

    def closures_between(self, first: date, last: date) -> frozenset[date]:
        return frozenset(day for day in self.closures if first <= day <= last)

    def terms_in_force(self, today: date) -> int | None:
        """The pk of the version in force on `today`: the office's own newest, else the standard one."""
        return next((entry.pk for entry in self.terms if entry.effective_date <= today), None)


# office pk → (revision, timetable); offices are few (hundreds), each entry small.
_remembered: dict[int, tuple[int, Timetable]] = {}
_lock = threading.Lock()


def timetable(office: Office) -> Timetable:
    """The office's rules, closures and terms versions as of `office.revision`."""
    found = _remembered.get(office.pk)
    if found is not None and found[0] == office.revision:
        return found[1]
    # Read after the office row: what is read here is at least as new as its revision.
    fresh = _read(office)
    with _lock:
        _remembered[office.pk] = (office.revision, fresh)
    return fresh


def _read(office: Office) -> Timetable:
    rules = tuple(
        rule.as_rule() for rule in SlotRuleRow.objects.filter(office=office).order_by("position", "pk")
    )
    closures = frozenset(Closure.objects.filter(office=office).order_by().values_list("date", flat=True))
    terms = (
        TermsVersion.objects.filter(Q(office=office) | Q(office__isnull=True))
        .order_by()
        .values_list("pk", "office", "effective_date")
    )
    entries = sorted(
        (TermsEntry(pk=pk, own=office_id is not None, effective_date=day) for pk, office_id, day in terms),
        key=lambda e: (not e.own, -e.effective_date.toordinal(), -e.pk),
    )
    return Timetable(rules=rules, closures=closures, terms=tuple(entries))


def forget(office_id: int | None) -> None:
    """Drop what this process remembers of one office, or of every office (None)."""
    with _lock:
        if office_id is None:
            _remembered.clear()
        else:
            _remembered.pop(office_id, None)


@receiver(post_save, sender=SlotRuleRow, dispatch_uid="offices.timetable.rule_saved")
@receiver(post_delete, sender=SlotRuleRow, dispatch_uid="offices.timetable.rule_deleted")
@receiver(post_save, sender=Closure, dispatch_uid="offices.timetable.closure_saved")
@receiver(post_delete, sender=Closure, dispatch_uid="offices.timetable.closure_deleted")
@receiver(post_save, sender=TermsVersion, dispatch_uid="offices.timetable.terms_saved")
@receiver(post_delete, sender=TermsVersion, dispatch_uid="offices.timetable.terms_deleted")
def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    # A standard terms version (office None) is every office's.
    forget(instance.office_id)
