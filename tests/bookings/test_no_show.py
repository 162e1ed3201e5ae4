"""R8: a confirmed booking not joined by 10 minutes after the start is a no-show."""

from datetime import timedelta

import pytest

from bookings.models import Booking, Status
from bookings.services import mark_attended, mark_no_show, mark_no_shows
from tests.bookings.factories import confirm, hold
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)


@pytest.fixture
def confirmed(fukuoka):
    booking = hold(fukuoka, START, now=jst(2026, 12, 1, 10, 0))
    return confirm(booking, now=jst(2026, 12, 1, 10, 5))


def test_it_does_not_mark_a_no_show_at_nine_minutes_fifty_nine(confirmed):
    now = START + timedelta(minutes=9, seconds=59)
    assert mark_no_shows(now=now) == 0
    assert Booking.objects.get(pk=confirmed.pk).status == Status.CONFIRMED
    assert confirmed.status_at(now) == Status.CONFIRMED


def test_it_marks_a_no_show_at_ten_minutes(confirmed):
    now = START + timedelta(minutes=10)
    assert confirmed.status_at(now) == Status.NO_SHOW
    assert mark_no_shows(now=now) == 1
    booking = Booking.objects.get(pk=confirmed.pk)
    assert booking.status == Status.NO_SHOW
    assert booking.no_show_at == now
    assert mark_no_shows(now=now + timedelta(minutes=1)) == 0


def test_it_leaves_attended_bookings_alone(confirmed):
    mark_attended(booking=confirmed, now=START + timedelta(minutes=2))
    assert mark_no_shows(now=START + timedelta(minutes=10)) == 0
    assert Booking.objects.get(pk=confirmed.pk).status == Status.ATTENDED


def test_it_never_marks_a_pending_hold_as_no_show(fukuoka):
    booking = hold(fukuoka, START, now=START - timedelta(minutes=20))
    assert mark_no_shows(now=START + timedelta(minutes=10)) == 0
    assert booking.status_at(START + timedelta(minutes=10)) == Status.EXPIRED


def test_it_lets_staff_correct_a_no_show_to_attended(confirmed):
    mark_no_shows(now=START + timedelta(minutes=10))
    booking = mark_attended(booking=Booking.objects.get(pk=confirmed.pk), now=START + timedelta(minutes=12))
    assert Booking.objects.get(pk=booking.pk).status == Status.ATTENDED


def test_it_lets_staff_correct_attended_to_no_show(confirmed):
    mark_attended(booking=confirmed, now=START + timedelta(minutes=1))
    mark_no_show(booking=confirmed, now=START + timedelta(minutes=40))
    assert Booking.objects.get(pk=confirmed.pk).status == Status.NO_SHOW
