"""Office-level queries: the slots an office offers and its current terms."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from django.db.models import CharField

from madoguchi.prepared import Param, Prepared
from offices.models import Office, TermsVersion
from offices.national_holidays import national_holidays
from offices.schedule import Slot
from offices.schedule_cache import schedule
from offices.terms import terms_in_force
from offices.timetable import timetable

# The API's booking and slots read look their office up on every request: a prepared query.
_OFFICE_BY_CODE = Prepared(lambda: Office.objects.filter(code=Param("code", CharField())).order_by())


def office_by_code(code: str) -> Office | None:
    return _OFFICE_BY_CODE.instance(Office, code=code)


def office_today(office: Office, *, now: datetime) -> date:
    return now.astimezone(office.tz).date()


def horizon_last_day(office: Office, *, now: datetime) -> date:
    # SPEC §6: slots on dates up to today + horizon_days (office time zone), inclusive.
    return office_today(office, now=now) + timedelta(days=office.horizon_days)


def scheduled_slots(office: Office, *, first: date, last: date) -> list[Slot]:
    """The office's slots on these dates, closed days left out (R1–R3)."""
    if last < first:
        return []
    # Rules and closures as of the office row's revision (offices.timetable), and the engine's
    # answer for them, are remembered by the process.
    table = timetable(office)
    return schedule(
        rules=table.rules,
        first=first,
        last=last,
        tz=office.tz,
        capacity=office.capacity,
        holidays=national_holidays(first, last),
        closures=table.closures_between(first, last),
    )


def bookable_slots(
    office: Office, *, now: datetime, first: date | None = None, last: date | None = None
) -> list[Slot]:
    """Slots within the horizon that have not started yet."""
    today = office_today(office, now=now)
    horizon = horizon_last_day(office, now=now)
    first = max(first or today, today)
    last = min(last or horizon, horizon)
    return [slot for slot in scheduled_slots(office, first=first, last=last) if slot.start > now]


def find_bookable_slot(office: Office, *, start: datetime, now: datetime) -> Slot | None:
    local = start.astimezone(office.tz)
    for slot in bookable_slots(office, now=now, first=local.date(), last=local.date()):
        if slot.start == start:
            return slot
    return None


def current_terms_id(office: Office, *, today: date) -> int | None:
    """R4/R12: the pk of the terms version in force, as of the office row's revision; no query."""
    return timetable(office).terms_in_force(today)


def current_terms(office: Office, *, today: date) -> TermsVersion | None:
    pk = current_terms_id(office, today=today)
    if pk is None:
        return None
    # Deleted since the office row was read (never one a booking agreed to): ask afresh.
    return _terms_version(pk, office.revision) or terms_in_force(office, today=today)


def coming_terms(office: Office, *, today: date) -> TermsVersion | None:
    """R12: the version that will replace today's, once published and not yet in force.

    Read from the office's timetable (offices.timetable), so no query unless there is one.
    """
    table = timetable(office)
    now_in_force = table.terms_in_force(today)
    for day in sorted({entry.effective_date for entry in table.terms if entry.effective_date > today}):
        then = table.terms_in_force(day)
        if then is not None and then != now_in_force:
            return _terms_version(then, office.revision)
    return None


@lru_cache(maxsize=1024)
def _terms_version(pk: int, revision: int) -> TermsVersion | None:
    """A terms version with its office, remembered per process under the office's revision.

    A published version is never rewritten (offices.models), and adding, changing or deleting
    any version gives its office (or, for a standard one, every office) a new revision, so an
    entry can never be stale. Callers only read it.
    """
    return TermsVersion.objects.filter(pk=pk).first()
