"""R5: a hold is confirmed only within the confirmation window and before the slot starts."""

from datetime import timedelta

import pytest

from bookings import errors
from bookings.models import MailKind, Status
from bookings.services import active_bookings
from tests.bookings.factories import confirm, hold, mails_of
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)  # a Tuesday slot (R2)
HELD = jst(2026, 12, 1, 10, 0)


def test_it_sets_expiry_to_the_end_of_the_window(fukuoka):
    booking = hold(fukuoka, START, now=HELD)
    assert booking.expires_at == HELD + timedelta(hours=1)


def test_it_confirms_at_the_last_second_of_the_window(fukuoka):
    booking = hold(fukuoka, START, now=HELD)
    confirmed = confirm(booking, now=HELD + timedelta(minutes=59, seconds=59))
    assert confirmed.status == Status.CONFIRMED
    assert confirmed.confirmed_at == HELD + timedelta(minutes=59, seconds=59)
    assert MailKind.COMPLETION in mails_of(booking)


def test_it_answers_expired_when_the_window_has_ended(fukuoka):
    booking = hold(fukuoka, START, now=HELD)
    with pytest.raises(errors.Expired):
        confirm(booking, now=HELD + timedelta(minutes=60))
    booking.refresh_from_db()
    assert booking.status == Status.EXPIRED
    assert MailKind.COMPLETION not in mails_of(booking)


def test_it_keeps_answering_expired_after_expiry(fukuoka):
    booking = hold(fukuoka, START, now=HELD)
    with pytest.raises(errors.Expired):
        confirm(booking, now=HELD + timedelta(hours=1))
    with pytest.raises(errors.Expired):
        confirm(booking, now=HELD + timedelta(hours=1, seconds=1))
    assert mails_of(booking).count(MailKind.EXPIRY) == 1


def test_it_ends_the_window_at_the_slot_start(fukuoka):
    held = START - timedelta(minutes=20)
    booking = hold(fukuoka, START, now=held)
    assert booking.expires_at == START


def test_it_confirms_one_second_before_the_start(fukuoka):
    booking = hold(fukuoka, START, now=START - timedelta(minutes=20))
    assert confirm(booking, now=START - timedelta(seconds=1)).status == Status.CONFIRMED


def test_it_answers_expired_at_the_start(fukuoka):
    booking = hold(fukuoka, START, now=START - timedelta(minutes=20))
    with pytest.raises(errors.Expired):
        confirm(booking, now=START)


def test_it_follows_the_configured_window(fukuoka, settings):
    settings.MADOGUCHI_CONFIRM_WINDOW_SECONDS = 600
    booking = hold(fukuoka, START, now=HELD)
    assert booking.expires_at == HELD + timedelta(minutes=10)
    with pytest.raises(errors.Expired):
        confirm(booking, now=HELD + timedelta(minutes=10))


def test_it_reports_the_expired_status_before_the_worker_runs(fukuoka):
    booking = hold(fukuoka, START, now=HELD)
    assert booking.status_at(HELD + timedelta(minutes=59, seconds=59)) == Status.PENDING
    assert booking.status_at(HELD + timedelta(hours=1)) == Status.EXPIRED
    assert not active_bookings(fukuoka, now=HELD + timedelta(hours=1)).filter(pk=booking.pk).exists()
