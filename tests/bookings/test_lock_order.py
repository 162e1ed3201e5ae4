"""Lock order on PostgreSQL: holds lock the office row, then bookings; a phone
cancellation must lock its booking row only, never the office row.

Were the cancellation to lock the office too (FOR UPDATE on a query joined to the
office, without OF), it would take booking then office while a hold takes office
then booking (expire_due_holds updates the expired holds of its slot): the two
could deadlock, and every cancellation would queue behind every hold of its office.

Threads need committed data, so these tests use `transactional_db`; each thread
closes its own connection. SQLite has no row locks (a writer holds the whole
database), so the tests run on PostgreSQL only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction

from bookings import errors, services
from bookings.models import Booking, BookingEvent, CancelledBy, EventKind, MailKind, Status, holds_seat
from bookings.selectors import slot_availability
from offices.models import Office
from offices.services import bookable_slots
from tests.bookings.factories import OTHER, confirm, hold, mails_of
from tests.conftest import jst

pytestmark = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="row-lock order needs PostgreSQL (run with DATABASE_URL=postgres://…); SQLite locks the whole database",
)

NOW = jst(2026, 11, 2, 12, 0)  # a Monday, before every slot used here
FIRST = jst(2026, 11, 5, 17, 15)
SECOND = jst(2026, 11, 5, 18, 15)
# SQLSTATEs: lock_not_available (NOWAIT), deadlock_detected.
LOCK_NOT_AVAILABLE = "55P03"
DEADLOCK_DETECTED = "40P01"
# How long a phone cancellation may take while a hold sits on the office lock.
CANCEL_WAIT = 5.0
PAUSE = 30.0


def sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run target on a thread of its own (so on a connection of its own), closed at the end."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = target()
        except Exception as exc:  # noqa: BLE001 - reported by the assertions of each test
            outcome["error"] = exc
        finally:
            connection.close()

    return threading.Thread(target=run, daemon=True), outcome


def confirmed_booking(office: Office, start: datetime, **person: Any) -> Booking:
    made = NOW - timedelta(days=1)
    return confirm(hold(office, start, now=made, **person), now=made + timedelta(minutes=5))


def expired_hold(office: Office, start: datetime, **person: Any) -> Booking:
    booking = hold(office, start, now=NOW - services.confirm_window() - timedelta(minutes=1), **person)
    assert booking.status_at(NOW) == Status.EXPIRED
    assert booking.status == Status.PENDING  # the worker has not run
    return booking


def lock_probe(office: Office, booking: Booking) -> dict[str, str]:
    """From another connection, try to lock the office row and the booking row (NOWAIT)."""
    rows = {"office": Office.objects.filter(pk=office.pk), "booking": Booking.objects.filter(pk=booking.pk)}
    found: dict[str, str] = {}

    def probe() -> None:
        for name, rows_of in rows.items():
            try:
                with transaction.atomic():
                    rows_of.select_for_update(nowait=True).get()
                found[name] = "free"
            except OperationalError as exc:
                found[name] = "locked" if sqlstate(exc) == LOCK_NOT_AVAILABLE else repr(exc)

    thread, outcome = in_thread(probe)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the lock probe hung"
    assert "error" not in outcome, outcome
    return found


def assert_cancelled_by_phone(booking: Booking, *, from_status: str) -> None:
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by, booking.cancelled_at) == (
        Status.CANCELLED,
        CancelledBy.PHONE,
        NOW,
    )
    events = BookingEvent.objects.filter(booking=booking, kind=EventKind.CANCELLED_BY_PHONE)
    assert list(events.values_list("from_status", flat=True)) == [from_status]
    assert mails_of(booking).count(MailKind.CANCELLATION) == 1


def test_it_leaves_the_office_row_unlocked_while_a_phone_cancellation_holds_its_booking(
    transactional_db, fukuoka, monkeypatch
):
    booking = confirmed_booking(fukuoka, FIRST)
    probes: list[dict[str, str]] = []
    real_queue_mail = services.queue_mail

    def queue_mail_after_probing(*args: Any, **kwargs: Any) -> Any:
        # Inside the cancellation's transaction, after its locking read.
        probes.append(lock_probe(fukuoka, booking))
        return real_queue_mail(*args, **kwargs)

    monkeypatch.setattr(services, "queue_mail", queue_mail_after_probing)
    services.booking_cancel_by_phone(booking=booking, now=NOW)

    # The booking lock proves the probe ran while the cancellation held its locks.
    assert probes == [{"booking": "locked", "office": "free"}]
    assert_cancelled_by_phone(booking, from_status=Status.CONFIRMED)


@pytest.mark.parametrize(
    ("case", "target_start", "expected"),
    [
        # Staff cancel a confirmed booking while someone books another slot.
        pytest.param("confirmed booking, another slot", FIRST, "cancelled", id="confirmed-other-slot"),
        # The deadlock shape: the hold expires this very booking under its office lock.
        pytest.param(
            "expired hold, the slot being booked", SECOND, "not_cancellable", id="expired-hold-same-slot"
        ),
    ],
)
def test_it_finishes_a_phone_cancellation_while_a_hold_holds_the_office_lock(
    transactional_db, fukuoka, monkeypatch, case, target_start, expected
):
    if expected == "cancelled":
        target = confirmed_booking(fukuoka, target_start)
    else:
        target = expired_hold(fukuoka, target_start)
    office_locked = threading.Event()
    release = threading.Event()
    real_hold_facts = services.hold_facts

    def hold_facts_after_a_pause(*args: Any, **kwargs: Any) -> Any:
        # booking_hold reads these first thing after locking the office row.
        office_locked.set()
        release.wait(timeout=PAUSE)
        return real_hold_facts(*args, **kwargs)

    monkeypatch.setattr(services, "hold_facts", hold_facts_after_a_pause)
    holder, held = in_thread(lambda: hold(fukuoka, SECOND, now=NOW, **OTHER))
    canceller, cancelled = in_thread(lambda: services.booking_cancel_by_phone(booking=target, now=NOW))
    try:
        holder.start()
        assert office_locked.wait(timeout=30), held
        canceller.start()
        canceller.join(timeout=CANCEL_WAIT)
        finished_under_the_office_lock = not canceller.is_alive()
    finally:
        release.set()
        holder.join(timeout=60)
        canceller.join(timeout=60)
    assert not holder.is_alive() and not canceller.is_alive(), "threads still waiting"

    assert finished_under_the_office_lock, (
        f"{case}: the phone cancellation waited for the office row locked by a hold",
        cancelled,
        held,
    )
    assert "error" not in held, held
    assert held["result"].status == Status.PENDING
    if expected == "cancelled":
        assert "error" not in cancelled, cancelled
        assert_cancelled_by_phone(target, from_status=Status.CONFIRMED)
    else:
        assert isinstance(cancelled.get("error"), errors.NotCancellable), cancelled
        target.refresh_from_db()
        assert target.status == Status.EXPIRED  # by the hold, for the new seat


ROUNDS = 3
PER_ROUND = 6  # slots per round: PER_ROUND cancellations race PER_ROUND holds


def run_together(calls: list[Callable[[], Any]]) -> list[dict[str, Any]]:
    """Each call on a thread of its own, all released at once by a barrier."""
    barrier = threading.Barrier(len(calls))

    def after_barrier(call: Callable[[], Any]) -> Any:
        barrier.wait(timeout=30)
        return call()

    started = [in_thread(partial(after_barrier, call)) for call in calls]
    for thread, _ in started:
        thread.start()
    for thread, _ in started:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread, _ in started), "threads still waiting after 60 s"
    return [outcome for _, outcome in started]


def person(kind: str, number: int) -> dict[str, str]:
    # 090-2xxx-xxxx / 090-3xxx-xxxx: valid mobile numbers, distinct per person.
    prefix = {"booked": 2, "racer": 3}[kind]
    return {"email": f"{kind}{number}@example.jp", "phone": f"090-{prefix}000-{number:04d}"}


def test_it_races_phone_cancellations_against_holds_without_deadlock_or_overbooking(
    transactional_db, fukuoka
):
    slots = [s.start for s in bookable_slots(fukuoka, now=NOW)][: ROUNDS * PER_ROUND]
    assert len(slots) == ROUNDS * PER_ROUND
    capacity = fukuoka.capacity
    for round_ in range(ROUNDS):
        starts = slots[round_ * PER_ROUND : (round_ + 1) * PER_ROUND]
        # Per slot: a confirmed booking, a live pending hold, or an expired hold the
        # worker has not marked; each is cancelled by phone while a newcomer books its slot.
        targets: list[Booking] = []
        for i, start in enumerate(starts):
            number = round_ * PER_ROUND + i
            if i % 3 == 0:
                targets.append(confirmed_booking(fukuoka, start, **person("booked", number)))
            elif i % 3 == 1:
                targets.append(
                    hold(fukuoka, start, now=NOW - timedelta(minutes=5), **person("booked", number))
                )
            else:
                targets.append(expired_hold(fukuoka, start, **person("booked", number)))
        before = [b.status_at(NOW) for b in targets]

        outcomes = run_together(
            [partial(services.booking_cancel_by_phone, booking=b, now=NOW) for b in targets]
            + [
                partial(hold, fukuoka, start, now=NOW, **person("racer", round_ * PER_ROUND + i))
                for i, start in enumerate(starts)
            ]
        )
        cancels, holds = outcomes[:PER_ROUND], outcomes[PER_ROUND:]
        deadlocks = [o for o in outcomes if sqlstate(o.get("error", Exception())) == DEADLOCK_DETECTED]
        assert not deadlocks, (round_, deadlocks)
        for target, status, outcome in zip(targets, before, cancels, strict=True):
            if status == Status.EXPIRED:
                assert isinstance(outcome.get("error"), errors.NotCancellable), (round_, outcome)
            else:
                assert "error" not in outcome, (round_, outcome)
                assert_cancelled_by_phone(target, from_status=status)
        for status, outcome in zip(before, holds, strict=True):
            if status == Status.EXPIRED:
                assert "error" not in outcome, (round_, outcome)  # the expired hold's seat is free
            elif "error" in outcome:
                assert isinstance(outcome["error"], errors.SlotFull), (round_, outcome)
            else:
                assert outcome["result"].status == Status.PENDING

        # Capacity is never exceeded, and the availability shown agrees with the rows.
        remaining = {a.slot.start: a.remaining for a in slot_availability(fukuoka, now=NOW)}
        for start in starts:
            holding = Booking.objects.filter(holds_seat(NOW), office=fukuoka, start=start)
            seats = list(holding.values_list("seat", flat=True))
            assert len(seats) == len(set(seats)) <= capacity, (start, seats)
            assert remaining[start] == capacity - len(seats), (start, remaining[start], seats)
