"""R8: staff mark attendance when the person joins, and correct either way after the start."""

from datetime import timedelta

import pytest

from bookings import errors
from bookings.models import Booking, Status
from bookings.services import booking_cancel_by_phone, mark_attended, mark_no_show
from tests.bookings.factories import confirm, hold
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)


@pytest.fixture
def confirmed(fukuoka):
    booking = hold(fukuoka, START, now=jst(2026, 11, 28, 10, 0))
    return confirm(booking, now=jst(2026, 11, 28, 10, 5))


def test_it_lets_staff_mark_a_person_who_joins_a_little_early(confirmed):
    booking = mark_attended(booking=confirmed, now=START - timedelta(minutes=15))
    assert Booking.objects.get(pk=booking.pk).status == Status.ATTENDED


def test_it_refuses_attendance_long_before_the_start(confirmed):
    with pytest.raises(errors.NotCancellable):
        mark_attended(booking=confirmed, now=START - timedelta(minutes=15, seconds=1))
    assert Booking.objects.get(pk=confirmed.pk).status == Status.CONFIRMED


def test_it_refuses_a_no_show_before_the_start(confirmed):
    with pytest.raises(errors.NotCancellable):
        mark_no_show(booking=confirmed, now=START - timedelta(seconds=1))


def test_it_never_overwrites_a_cancellation_made_a_moment_before(confirmed):
    stale = Booking.objects.get(pk=confirmed.pk)
    booking_cancel_by_phone(booking=confirmed, now=START - timedelta(hours=1))
    with pytest.raises(errors.NotCancellable):
        mark_attended(booking=stale, now=START)
    assert Booking.objects.get(pk=confirmed.pk).status == Status.CANCELLED
