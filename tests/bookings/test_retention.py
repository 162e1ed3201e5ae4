"""R10, R11, SPEC §9: the worker erases personal data of bookings whose slot ended
MADOGUCHI_RETENTION_DAYS ago and keeps what the statistics need; refusals keep only what
matches the person; access records go after MADOGUCHI_ACCESS_LOG_DAYS; the audit log stays.

A period of N days is due at exactly its start + N × 24 hours: one second earlier nothing
happens. Each edge is tested a day before, a second before, on the instant, and a day after,
by travelling in time and running the daily task."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db.models.functions import ExtractIsoYear, ExtractWeek

from bookings import services
from bookings.models import Booking, BookingEvent, OutgoingMail, Refusal, Status
from bookings.retention import anonymise_old_bookings, erase_old_refusals
from bookings.tasks import anonymise_old_bookings_task, erase_old_refusals_task, purge_access_records_task
from console.models import AccessKind, AccessRecord, AuditAction, AuditEntry
from tests.bookings.factories import OTHER, cancel_token, confirm, confirm_token, hold, second_office
from tests.conftest import jst

try:  # the statistics of the console, when they are built
    from bookings.statistics import weekly_statistics
except ImportError:  # pragma: no cover
    weekly_statistics = None

DAYS = 365
MADE = jst(2026, 11, 30, 10, 0)  # a Monday; every hold below is made then
TUESDAY = jst(2026, 12, 1, 17, 15)  # slot 17:15–17:45
END = TUESDAY + timedelta(minutes=30)

# What must be blank after retention: the person, what they wrote, what staff wrote about
# them, the meeting room, and the salt of the link tokens.
ERASED = [
    "name",
    "email",
    "email_key",
    "phone",
    "phone_key",
    "jobseeker_number",
    "note",
    "staff_note",
    "meeting_url",
    "token_salt",
]
REPLACED = ["confirm_token_hash", "cancel_token_hash"]

EDGES = [
    (timedelta(days=-1), False),  # a day before
    (timedelta(seconds=-1), False),  # a second before
    (timedelta(0), True),  # on the instant
    (timedelta(days=1), True),  # a day after
]


@pytest.fixture(autouse=True)
def periods(settings) -> None:
    settings.MADOGUCHI_RETENTION_DAYS = DAYS
    settings.MADOGUCHI_ACCESS_LOG_DAYS = 90


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user("soudan", password="x")


def row(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def run_daily_tasks_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        purge_access_records_task.call_local()
        anonymise_old_bookings_task.call_local()
        erase_old_refusals_task.call_local()


@pytest.fixture
def attended(fukuoka, staff) -> Booking:
    """A booking with everything filled in: free text, a staff note, events and mails."""
    booking = hold(
        fukuoka, TUESDAY, now=MADE, jobseeker_number="40010-12345678", note="車椅子で参加します", support="on"
    )
    confirm(booking, now=MADE)
    services.booking_note(booking=booking, note="前回は10分遅刻", now=TUESDAY, by=staff)
    return services.mark_attended(booking=booking, now=TUESDAY + timedelta(minutes=1), by=staff)


# Bookings: exactly the personal data goes, on the day and not before.


@pytest.mark.parametrize(("offset", "erased"), EDGES)
def test_a_booking_is_anonymised_exactly_when_its_period_is_over(attended, offset, erased):
    before = row(Booking.objects.get())
    run_daily_tasks_at(END + timedelta(days=DAYS) + offset)
    after = row(Booking.objects.get())
    if not erased:
        assert after == before
        return
    for name, value in before.items():
        if name in ERASED:
            assert value and after[name] == "", name
        elif name in REPLACED:
            assert after[name] != value and after[name].startswith("erased:"), name
        else:
            assert after[name] == value, name  # kept for the statistics


def test_everything_the_statistics_need_is_kept(attended):
    before = row(Booking.objects.get())
    anonymise_old_bookings(now=END + timedelta(days=DAYS))
    after = Booking.objects.get()
    assert (after.office_id, after.start, after.end, after.seat) == (
        before["office_id"],
        before["start"],
        before["end"],
        before["seat"],
    )
    assert (after.status, after.support, after.language, after.terms_id) == (
        Status.ATTENDED,
        True,
        "ja",
        before["terms_id"],
    )
    assert (after.created_at, after.confirmed_at, after.attended_at) == (
        MADE,
        MADE,
        TUESDAY + timedelta(minutes=1),
    )


def test_the_mails_go_and_the_events_keep_only_what_happened_when(attended):
    assert OutgoingMail.objects.filter(booking=attended).count() == 2
    events = [(e.kind, e.at, e.from_status) for e in BookingEvent.objects.order_by("at")]
    anonymise_old_bookings(now=END + timedelta(days=DAYS))
    assert not OutgoingMail.objects.exists()
    assert [(e.kind, e.at, e.from_status) for e in BookingEvent.objects.order_by("at")] == events
    assert list(BookingEvent.objects.values_list("by", flat=True)) == [None, None]


def test_the_old_links_lead_nowhere(client, attended):
    links = [f"/b/confirm/{confirm_token(attended)}", f"/b/cancel/{cancel_token(attended)}"]
    anonymise_old_bookings(now=END + timedelta(days=DAYS))
    for link in links:
        assert client.get(link).status_code == 404


def test_an_anonymised_booking_matches_nobody(attended):
    anonymise_old_bookings(now=END + timedelta(days=DAYS))
    assert not Booking.objects.filter(email_key="taro@example.jp").exists()
    assert not Booking.objects.filter(phone_key="+819012345678").exists()


def test_a_booking_of_a_later_slot_is_left_alone(fukuoka, attended):
    later = confirm(hold(fukuoka, jst(2026, 12, 3, 17, 15), now=MADE, **OTHER), now=MADE)
    before = row(later)
    mails = OutgoingMail.objects.filter(booking=later).count()
    assert anonymise_old_bookings(now=END + timedelta(days=DAYS)) == 1
    assert row(Booking.objects.get(pk=later.pk)) == before
    assert OutgoingMail.objects.filter(booking=later).count() == mails


def test_it_works_in_batches_and_a_second_run_does_nothing(fukuoka):
    for day, time in [(1, (17, 15)), (1, (18, 15)), (3, (17, 15)), (3, (18, 15)), (8, (17, 15))]:
        hold(
            fukuoka,
            jst(2026, 12, day, *time),
            now=MADE,
            email=f"p{day}{time[0]}@example.jp",
            phone=f"090-1000-{day:02}{time[0]}",
        )
    later = jst(2026, 12, 9) + timedelta(days=DAYS)
    assert anonymise_old_bookings(now=later, batch=2) == 5
    assert set(Booking.objects.values_list("name", "email", "phone")) == {("", "", "")}
    snapshot = [row(b) for b in Booking.objects.order_by("pk")]
    assert anonymise_old_bookings(now=later, batch=2) == 0
    assert [row(b) for b in Booking.objects.order_by("pk")] == snapshot


# Statistics and the audit log: unchanged by retention.


@pytest.fixture
def a_month_of_bookings(fukuoka, staff, attended) -> list[Booking]:
    no_show = confirm(hold(fukuoka, jst(2026, 12, 1, 18, 15), now=MADE, **OTHER), now=MADE)
    services.mark_no_show(booking=no_show, now=jst(2026, 12, 1, 18, 30), by=staff)
    by_link = confirm(
        hold(fukuoka, jst(2026, 12, 3, 17, 15), now=MADE, email="a@example.jp", phone="090-1111-0001"),
        now=MADE,
    )
    services.booking_cancel(token=cancel_token(by_link), now=MADE)
    by_phone = confirm(
        hold(fukuoka, jst(2026, 12, 3, 18, 15), now=MADE, email="b@example.jp", phone="090-1111-0002"),
        now=MADE,
    )
    services.booking_cancel_by_phone(booking=by_phone, now=MADE, by=staff)
    hold(
        fukuoka, jst(2026, 12, 8, 17, 15), now=MADE, email="c@example.jp", phone="090-1111-0003"
    )  # never confirmed
    services.expire_due_holds(now=MADE + timedelta(hours=2))
    confirm(
        hold(fukuoka, jst(2026, 12, 12, 11, 0), now=MADE, email="d@example.jp", phone="090-1111-0004"),
        now=MADE,
    )
    other = second_office("office-b")
    confirm(hold(other, jst(2026, 12, 8, 17, 15), now=MADE), now=MADE)
    return list(Booking.objects.all())


def weekly_counts() -> Counter[tuple[Any, ...]]:
    rows = Booking.objects.annotate(year=ExtractIsoYear("start"), week=ExtractWeek("start")).values_list(
        "office__code", "year", "week", "status", "cancelled_by"
    )
    return Counter(rows)


def test_the_statistics_are_the_same_before_and_after(a_month_of_bookings, fukuoka):
    later = jst(2027, 12, 31)
    counts = weekly_counts()
    assert sum(counts.values()) == 7
    assert len({status for _office, _y, _w, status, _by in counts}) == 5
    figures = None
    if weekly_statistics is not None:
        figures = weekly_statistics(fukuoka, first_week=date(2026, 11, 30), weeks=3, now=later)
        assert sum(week.bookings for week in figures) == 6
    assert anonymise_old_bookings(now=later) == 7
    assert weekly_counts() == counts
    if weekly_statistics is not None:
        assert weekly_statistics(fukuoka, first_week=date(2026, 11, 30), weeks=3, now=later) == figures


def test_the_audit_log_is_kept_whole(a_month_of_bookings, fukuoka, staff):
    AuditEntry.objects.create(
        at=MADE,
        user=staff,
        username="soudan",
        office=fukuoka,
        action=AuditAction.SEARCH,
        target="taro@example.jp",  # personal data, and kept: the audit log is not erased
        records=1,
        ip_address="203.0.113.1",
    )
    before = [row(e) for e in AuditEntry.objects.all()]
    run_daily_tasks_at(jst(2029, 1, 1))
    assert [row(e) for e in AuditEntry.objects.all()] == before


# Refusals: the keys stay while in force; the rest goes.


def refusal(office, *, decided: datetime, by: User, lifted: datetime | None = None) -> Refusal:
    return Refusal.objects.create(
        office=office,
        email_key="taro@example.jp",
        phone_key="+819012345678",
        name="山田 太郎",
        reason="無断欠席の繰り返し",
        created_at=decided,
        decided_by=by,
        lifted_at=lifted,
        lifted_by=by if lifted else None,
        lift_reason="本人と面談済み" if lifted else "",
    )


DECIDED = jst(2026, 12, 1, 12, 0)


@pytest.mark.parametrize(("offset", "erased"), EDGES)
def test_a_refusal_in_force_keeps_only_the_keys_once_its_period_is_over(fukuoka, staff, offset, erased):
    before = row(refusal(fukuoka, decided=DECIDED, by=staff))
    run_daily_tasks_at(DECIDED + timedelta(days=DAYS) + offset)
    after = row(Refusal.objects.get())
    expected = {**before, "name": "", "reason": ""} if erased else before
    assert after == expected
    # R9: still refused either way.
    assert services.is_refused(fukuoka, email_key="taro@example.jp", phone_key="+810000000000")


@pytest.mark.parametrize(("offset", "deleted"), EDGES)
def test_a_lifted_refusal_is_deleted_once_its_period_after_lifting_is_over(fukuoka, staff, offset, deleted):
    lifted = jst(2027, 6, 1, 9, 0)
    before = row(refusal(fukuoka, decided=DECIDED - timedelta(days=DAYS * 2), by=staff, lifted=lifted))
    run_daily_tasks_at(lifted + timedelta(days=DAYS) + offset)
    if deleted:
        assert not Refusal.objects.exists()
    else:
        # Its reasons are kept whole until then, however long ago it was decided.
        assert row(Refusal.objects.get()) == before


def test_refusals_are_counted_once(fukuoka, staff):
    refusal(fukuoka, decided=DECIDED, by=staff)
    refusal(fukuoka, decided=DECIDED, by=staff, lifted=DECIDED + timedelta(days=1))
    later = DECIDED + timedelta(days=DAYS + 2)
    assert erase_old_refusals(now=later) == 2
    assert erase_old_refusals(now=later) == 0


# Access records: deleted after MADOGUCHI_ACCESS_LOG_DAYS.

ACCESSED = jst(2026, 12, 1, 10, 0)


@pytest.mark.parametrize(("offset", "deleted"), EDGES)
def test_an_access_record_is_deleted_once_its_period_is_over(fukuoka, offset, deleted):
    fields = {
        "kind": AccessKind.CONFIRM,
        "method": "GET",
        "path": "/b/confirm/[redacted]",
        "status_code": 200,
    }
    old = AccessRecord.objects.create(at=ACCESSED, **fields, ip_address="203.0.113.7", office=fukuoka)
    newer = AccessRecord.objects.create(at=ACCESSED + timedelta(days=2), **fields, office=fukuoka)
    run_daily_tasks_at(ACCESSED + timedelta(days=90) + offset)
    left = set(AccessRecord.objects.values_list("pk", flat=True))
    assert left == ({newer.pk} if deleted else {newer.pk, old.pk})
