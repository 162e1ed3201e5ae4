"""Each process remembers an office's rules, closures and terms under the office's revision
(offices.timetable), which the database changes on every write to them, whoever writes.

The writes here go behind the process's back (bulk_create, update, raw SQL: no signals), as
another process's would, so only the database's triggers can tell.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection

from bookings import errors
from offices.models import Closure, Office, SlotRuleRow, TermsVersion
from offices.services import bookable_slots, current_terms_id
from offices.timetable import timetable
from tests.bookings.factories import hold
from tests.conftest import jst

NOW = jst(2026, 11, 30, 10, 0)  # a Monday
TUESDAY = date(2026, 12, 1)


def fresh(office: Office) -> Office:
    """The office row as the next request reads it."""
    return Office.objects.get(pk=office.pk)


def days(office: Office) -> set[date]:
    return {slot.start.astimezone(office.tz).date() for slot in bookable_slots(office, now=NOW)}


def test_a_closure_written_by_another_process_is_seen_by_the_next_request(fukuoka):
    assert TUESDAY in days(fresh(fukuoka))  # now remembered by this process
    Closure.objects.bulk_create([Closure(office=fukuoka, date=TUESDAY, reason="臨時閉庁")])
    assert TUESDAY not in days(fresh(fukuoka))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM offices_closure WHERE office_id = %s", [fukuoka.pk])
    assert TUESDAY in days(fresh(fukuoka))


def test_a_timetable_change_by_another_process_is_seen_by_the_next_request(fukuoka):
    assert {slot.capacity for slot in bookable_slots(fresh(fukuoka), now=NOW)} == {fukuoka.capacity}
    SlotRuleRow.objects.filter(office=fukuoka).update(capacity=7)
    assert {slot.capacity for slot in bookable_slots(fresh(fukuoka), now=NOW)} == {7}


def test_new_terms_are_in_force_at_once_the_office_own_and_the_standard_ones(fukuoka):
    today = NOW.date()
    before = current_terms_id(fresh(fukuoka), today=today)
    own = TermsVersion(office=fukuoka, version="v-new", effective_date=today, title="新", body="本文")
    TermsVersion.objects.bulk_create([own])
    now_in_force = current_terms_id(fresh(fukuoka), today=today)
    assert now_in_force != before
    assert now_in_force == TermsVersion.objects.get(office=fukuoka, version="v-new").pk
    # A standard version is every office's: an office with no terms of its own takes it at once.
    plain = Office.objects.create(code="plain", name="窓口", phone="0", meeting_url="https://m.example/x")
    standard = current_terms_id(fresh(plain), today=today)
    later = TermsVersion(office=None, version="std-new", effective_date=today, title="標準", body="本文")
    TermsVersion.objects.bulk_create([later])
    assert current_terms_id(fresh(plain), today=today) != standard
    assert current_terms_id(fresh(plain), today=today) == TermsVersion.objects.get(version="std-new").pk


def test_terms_published_for_later_take_over_on_their_date_without_a_write(fukuoka):
    later = NOW.date() + timedelta(days=10)
    TermsVersion.objects.create(
        office=fukuoka, version="v-later", effective_date=later, title="新", body="本文"
    )
    office = fresh(fukuoka)
    assert current_terms_id(office, today=later - timedelta(days=1)) != current_terms_id(office, today=later)


def test_saving_an_office_read_before_a_change_does_not_bring_back_its_old_revision(fukuoka):
    stale = fresh(fukuoka)
    Closure.objects.bulk_create([Closure(office=fukuoka, date=TUESDAY, reason="臨時閉庁")])
    changed = fresh(fukuoka).revision
    assert changed != stale.revision
    stale.phone = "092-111-1111"
    stale.save()
    assert fresh(fukuoka).revision == changed
    assert TUESDAY not in days(fresh(fukuoka))


def test_every_write_to_rules_closures_or_terms_changes_the_revision(fukuoka):
    def revision() -> int:
        return fresh(fukuoka).revision

    seen = [revision()]
    closure = Closure.objects.create(office=fukuoka, date=TUESDAY, reason="a")
    seen.append(revision())
    Closure.objects.filter(pk=closure.pk).update(reason="b")
    seen.append(revision())
    Closure.objects.filter(pk=closure.pk).delete()
    seen.append(revision())
    SlotRuleRow.objects.filter(office=fukuoka).update(minutes=30)
    seen.append(revision())
    TermsVersion.objects.create(office=fukuoka, version="v9", effective_date=TUESDAY, title="t", body="b")
    seen.append(revision())
    assert len(set(seen)) == len(seen), seen


def test_this_process_sees_its_own_writes_through_an_office_read_before_them(fukuoka):
    office = fresh(fukuoka)
    assert TUESDAY in days(office)
    Closure.objects.create(office=fukuoka, date=TUESDAY, reason="臨時閉庁")
    assert TUESDAY not in days(office)  # the same instance, with its old revision


def test_a_hold_looks_again_under_the_lock_when_the_timetable_changed_meanwhile(fukuoka, monkeypatch):
    office = fresh(fukuoka)
    start = next(slot.start for slot in bookable_slots(office, now=NOW) if slot.start.date() == TUESDAY)
    timetable(office)  # remembered under the revision the request read
    # The day closes between the moment the slot was found and the office lock.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO offices_closure (office_id, date, reason) VALUES (%s, %s, %s)",
            [office.pk, TUESDAY.isoformat(), "臨時閉庁"],
        )
    with pytest.raises(errors.Invalid):
        hold(office, start, now=NOW)
