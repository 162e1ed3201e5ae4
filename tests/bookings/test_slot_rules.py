"""R2/R5: a booking takes a real, open slot within the horizon; capacity is enforced."""

from datetime import timedelta

import pytest

from bookings import errors
from bookings.models import Booking, Status
from tests.bookings.factories import OTHER, hold
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)
NOW = jst(2026, 11, 26, 10, 0)


def test_it_answers_slot_full_when_every_seat_is_held(fukuoka):
    hold(fukuoka, START, now=NOW)
    with pytest.raises(errors.SlotFull) as caught:
        hold(fukuoka, START, now=NOW, **OTHER)
    assert (caught.value.code, caught.value.status) == ("slot_full", 409)
    assert Booking.objects.count() == 1


def test_it_fills_every_seat_of_a_larger_office(fukuoka):
    fukuoka.capacity = 2
    fukuoka.save()
    first = hold(fukuoka, START, now=NOW)
    second = hold(fukuoka, START, now=NOW, **OTHER)
    assert {first.seat, second.seat} == {1, 2}
    with pytest.raises(errors.SlotFull):
        hold(fukuoka, START, now=NOW, email="third@example.jp", phone="080-3333-4444")


@pytest.mark.parametrize(
    "start",
    [
        jst(2026, 12, 1, 17, 30),  # Tuesday, but not a slot time
        jst(2026, 12, 2, 17, 15),  # Wednesday
        jst(2026, 12, 5, 11, 0),  # 1st Saturday
        jst(2026, 12, 29, 17, 15),  # year-end closure (R3)
    ],
)
def test_it_refuses_a_start_that_is_not_a_slot(fukuoka, start):
    with pytest.raises(errors.Invalid) as caught:
        hold(fukuoka, start, now=NOW)
    assert (caught.value.code, caught.value.status) == ("invalid", 422)
    assert list(caught.value.fields) == ["start"]


def test_it_refuses_a_slot_that_has_started(fukuoka):
    with pytest.raises(errors.Invalid) as caught:
        hold(fukuoka, START, now=START)
    assert "start" in caught.value.fields


def test_it_accepts_a_slot_one_second_before_it_starts(fukuoka):
    booking = hold(fukuoka, START, now=START - timedelta(seconds=1))
    assert booking.expires_at == START


def test_it_accepts_the_last_day_of_the_horizon(fukuoka):
    # 2027-01-26 (Tue) is today + 60 days when today is 2026-11-27 in Fukuoka.
    booking = hold(fukuoka, jst(2027, 1, 26, 17, 15), now=jst(2026, 11, 27, 0, 0))
    assert booking.status == Status.PENDING


def test_it_refuses_a_slot_beyond_the_horizon(fukuoka):
    with pytest.raises(errors.Invalid) as caught:
        hold(fukuoka, jst(2027, 1, 26, 17, 15), now=jst(2026, 11, 26, 23, 59, 59))
    assert "start" in caught.value.fields


def test_it_accepts_the_same_instant_written_in_utc(fukuoka):
    from datetime import UTC

    booking = hold(fukuoka, START.astimezone(UTC), now=NOW)
    assert booking.start == START
