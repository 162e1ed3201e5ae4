"""SPEC §6, R5, R8: one definition of a booking that holds its seat (models.holds_seat).

The availability shown (slot_availability), the seat check of a hold (SlotFull) and
the one-booking-per-person limit (LimitReached) must agree at every moment: a booking
marked attended a little before the start still holds its seat and still counts as
the person's booking until the slot starts; a pending hold counts until its expiry
and not after; a cancelled booking frees its seat. The demo office has capacity 1.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine

from bookings import errors
from bookings.models import Booking, Status
from bookings.selectors import slot_availability
from bookings.services import (
    JOIN_EARLY,
    active_bookings,
    booking_cancel,
    booking_cancel_by_phone,
    mark_attended,
)
from offices.models import Office
from tests.bookings.factories import OTHER, cancel_token, confirm, hold
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)  # Tuesday
LATER = jst(2026, 12, 1, 18, 15)  # the same evening
NEXT = jst(2026, 12, 3, 17, 15)  # Thursday
BOOKED = jst(2026, 11, 28, 10, 0)
SECOND = timedelta(seconds=1)


def remaining(office: Office, start: datetime, *, now: datetime) -> int:
    with time_machine.travel(now, tick=False):
        day = start.astimezone(office.tz).date()
        return {a.slot.start: a.remaining for a in slot_availability(office, now=now, first=day, last=day)}[
            start
        ]


def book(office: Office, start: datetime, *, now: datetime, **person: Any) -> Booking:
    with time_machine.travel(now, tick=False):
        return hold(office, start, now=now, **person)


def confirmed(office: Office) -> Booking:
    booking = book(office, START, now=BOOKED)
    confirmed_at = BOOKED + timedelta(minutes=5)
    with time_machine.travel(confirmed_at, tick=False):
        return confirm(booking, now=confirmed_at)


def attended_early(office: Office, *, before_start: timedelta) -> tuple[Booking, datetime]:
    booking = confirmed(office)
    marked = START - before_start
    with time_machine.travel(marked, tick=False):
        booking = mark_attended(booking=booking, now=marked)
    assert booking.status == Status.ATTENDED
    return booking, marked


EARLY = pytest.mark.parametrize("before_start", [JOIN_EARLY, timedelta(minutes=10), timedelta(minutes=1)])


# Marked attended a little before the start (R8, JOIN_EARLY).


@EARLY
def test_it_shows_no_seat_left_in_a_slot_whose_booking_was_marked_attended_early(fukuoka, before_start):
    booking, marked = attended_early(fukuoka, before_start=before_start)
    for now in (marked, START - SECOND):
        assert remaining(fukuoka, START, now=now) == 0
        assert list(active_bookings(fukuoka, now=now)) == [booking]


@EARLY
def test_it_answers_slot_full_to_another_person_for_a_seat_marked_attended_early(fukuoka, before_start):
    _, marked = attended_early(fukuoka, before_start=before_start)
    for now in (marked, START - SECOND):
        with pytest.raises(errors.SlotFull):
            book(fukuoka, START, now=now, **OTHER)
    assert Booking.objects.filter(start=START).count() == 1


@EARLY
def test_it_keeps_a_person_marked_attended_early_at_the_limit_until_the_slot_starts(fukuoka, before_start):
    _, marked = attended_early(fukuoka, before_start=before_start)
    for now in (marked, START - SECOND):
        for start in (LATER, NEXT):
            assert remaining(fukuoka, start, now=now) == 1
            with pytest.raises(errors.LimitReached):
                book(fukuoka, start, now=now)
    assert Booking.objects.count() == 1


@pytest.mark.parametrize("after_start", [timedelta(0), timedelta(minutes=5)])
def test_it_lets_a_person_marked_attended_book_a_later_slot_once_the_slot_started(fukuoka, after_start):
    attended_early(fukuoka, before_start=timedelta(minutes=10))
    now = START + after_start
    assert not active_bookings(fukuoka, now=now).exists()
    assert book(fukuoka, LATER, now=now).status == Status.PENDING
    assert remaining(fukuoka, LATER, now=now) == 0


# A pending hold (R5): it holds its seat until its expiry, whether or not the worker has run.


def pending(office: Office, *, held: datetime) -> Booking:
    booking = book(office, START, now=held)
    assert booking.status == Status.PENDING
    return booking


# Held a day before (expires after the window) and 30 minutes before (expires at the start).
HELD = pytest.mark.parametrize("held", [BOOKED, START - timedelta(minutes=30)])


@HELD
def test_it_counts_a_pending_hold_as_holding_its_seat_until_its_expiry(fukuoka, held):
    booking = pending(fukuoka, held=held)
    now = booking.expires_at - SECOND
    assert remaining(fukuoka, START, now=now) == 0
    assert list(active_bookings(fukuoka, now=now)) == [booking]
    with pytest.raises(errors.SlotFull):
        book(fukuoka, START, now=now, **OTHER)
    with pytest.raises(errors.LimitReached):
        book(fukuoka, LATER, now=now)
    assert Booking.objects.get(pk=booking.pk).status == Status.PENDING


def test_it_frees_the_seat_of_a_pending_hold_at_its_expiry(fukuoka):
    booking = pending(fukuoka, held=BOOKED)
    now = booking.expires_at
    assert remaining(fukuoka, START, now=now) == 1
    assert not active_bookings(fukuoka, now=now).exists()
    taken = book(fukuoka, START, now=now, **OTHER)
    assert (taken.status, taken.seat) == (Status.PENDING, booking.seat)
    assert remaining(fukuoka, START, now=now) == 0
    assert Booking.objects.get(pk=booking.pk).status == Status.EXPIRED


@pytest.mark.parametrize("start", [START, LATER])
def test_it_lets_the_person_of_an_expired_hold_book_again(fukuoka, start):
    booking = pending(fukuoka, held=BOOKED)
    now = booking.expires_at
    assert book(fukuoka, start, now=now).status == Status.PENDING


# A cancelled booking gives its seat back at once, and the person may book again.


def cancel_by_phone(office: Office, *, confirmed_first: bool) -> datetime:
    booking = confirmed(office) if confirmed_first else pending(office, held=BOOKED)
    now = BOOKED + timedelta(minutes=10)
    with time_machine.travel(now, tick=False):
        booking_cancel_by_phone(booking=booking, now=now)
    return now


def cancel_by_link(office: Office, *, confirmed_first: bool) -> datetime:
    assert confirmed_first
    booking = confirmed(office)
    now = START - timedelta(days=2)  # the link works until the day before
    with time_machine.travel(now, tick=False):
        booking_cancel(token=cancel_token(booking), now=now)
    return now


CANCELLED = pytest.mark.parametrize(
    ("cancel", "confirmed_first"),
    [(cancel_by_phone, True), (cancel_by_phone, False), (cancel_by_link, True)],
    ids=["confirmed-by-phone", "pending-by-phone", "confirmed-by-link"],
)


@CANCELLED
def test_it_frees_the_seat_of_a_cancelled_booking(fukuoka, cancel, confirmed_first):
    now = cancel(fukuoka, confirmed_first=confirmed_first)
    assert remaining(fukuoka, START, now=now) == 1
    assert not active_bookings(fukuoka, now=now).exists()
    taken = book(fukuoka, START, now=now, **OTHER)
    assert (taken.status, taken.seat) == (Status.PENDING, 1)
    assert remaining(fukuoka, START, now=now) == 0


@CANCELLED
def test_it_lets_the_person_of_a_cancelled_booking_book_again(fukuoka, cancel, confirmed_first):
    now = cancel(fukuoka, confirmed_first=confirmed_first)
    assert book(fukuoka, LATER, now=now).status == Status.PENDING


# Whatever the state, the availability shown and the answer to a hold agree.


@pytest.mark.parametrize(
    "moment",
    [
        START - timedelta(minutes=15),
        START - timedelta(minutes=10),
        START - SECOND,
    ],
)
@pytest.mark.parametrize("state", ["attended", "confirmed", "pending", "cancelled"])
def test_it_offers_a_seat_exactly_when_a_hold_by_another_person_gets_one(fukuoka, state, moment):
    if state == "pending":
        pending(fukuoka, held=moment - timedelta(minutes=5))  # expires at the start
    else:
        booking = confirmed(fukuoka)
        with time_machine.travel(moment, tick=False):
            if state == "attended":
                mark_attended(booking=booking, now=moment)
            elif state == "cancelled":
                booking_cancel_by_phone(booking=booking, now=moment)
    seats_left = remaining(fukuoka, START, now=moment)
    try:
        book(fukuoka, START, now=moment, **OTHER)
        got_a_seat = True
    except errors.SlotFull:
        got_a_seat = False
    assert got_a_seat == (seats_left > 0), (state, seats_left)
