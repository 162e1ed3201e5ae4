"""R7: the link cancels until the end of the day before (office time); on the day only by phone."""

from datetime import UTC

import pytest

from bookings import errors
from bookings.models import CancelledBy, MailKind, Status
from bookings.services import booking_cancel, booking_cancel_by_phone
from tests.bookings.factories import cancel_token, confirm, hold, mails_of
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)


@pytest.fixture
def confirmed(fukuoka):
    booking = hold(fukuoka, START, now=jst(2026, 11, 28, 10, 0))
    return confirm(booking, now=jst(2026, 11, 28, 10, 5))


def test_it_cancels_by_link_at_the_last_second_of_the_day_before(confirmed):
    cancelled = booking_cancel(token=cancel_token(confirmed), now=jst(2026, 11, 30, 23, 59, 59))
    assert cancelled.status == Status.CANCELLED
    assert cancelled.cancelled_by == CancelledBy.LINK
    assert cancelled.cancelled_at == jst(2026, 11, 30, 23, 59, 59)
    assert MailKind.CANCELLATION in mails_of(confirmed)


def test_it_refuses_link_cancellation_on_the_day(confirmed):
    with pytest.raises(errors.SameDay) as caught:
        booking_cancel(token=cancel_token(confirmed), now=jst(2026, 12, 1, 0, 0))
    assert caught.value.code == "same_day"
    assert "092-000-0000" in str(caught.value.message)
    confirmed.refresh_from_db()
    assert confirmed.status == Status.CONFIRMED
    assert MailKind.CANCELLATION not in mails_of(confirmed)


def test_it_judges_the_day_in_office_time_not_utc(confirmed):
    # 2026-11-30 15:00 UTC is already 12/1 00:00 in Fukuoka.
    with pytest.raises(errors.SameDay):
        booking_cancel(token=cancel_token(confirmed), now=jst(2026, 12, 1, 0, 0).astimezone(UTC))


def test_it_answers_the_same_when_cancelled_twice(confirmed):
    first = booking_cancel(token=cancel_token(confirmed), now=jst(2026, 11, 29, 12, 0))
    again = booking_cancel(token=cancel_token(confirmed), now=jst(2026, 12, 1, 12, 0))
    assert (again.pk, again.status) == (first.pk, Status.CANCELLED)
    assert again.cancelled_at == jst(2026, 11, 29, 12, 0)
    assert mails_of(confirmed).count(MailKind.CANCELLATION) == 1


def test_it_refuses_to_cancel_a_pending_booking_by_link(fukuoka):
    booking = hold(fukuoka, START, now=jst(2026, 11, 28, 10, 0))
    with pytest.raises(errors.NotCancellable):
        booking_cancel(token=cancel_token(booking), now=jst(2026, 11, 28, 10, 30))


def test_it_refuses_to_cancel_an_expired_booking_by_link(fukuoka):
    booking = hold(fukuoka, START, now=jst(2026, 11, 28, 10, 0))
    with pytest.raises(errors.NotCancellable):
        booking_cancel(token=cancel_token(booking), now=jst(2026, 11, 28, 11, 0))


def test_it_refuses_an_unknown_cancel_token(fukuoka):
    with pytest.raises(errors.NotFound):
        booking_cancel(token="not-a-token", now=jst(2026, 11, 28, 10, 0))


def test_it_lets_staff_cancel_by_phone_on_the_day(confirmed):
    now = jst(2026, 12, 1, 9, 0)
    cancelled = booking_cancel_by_phone(booking=confirmed, now=now)
    assert cancelled.status == Status.CANCELLED
    assert cancelled.cancelled_by == CancelledBy.PHONE
    assert cancelled.cancelled_at == now
    assert MailKind.CANCELLATION in mails_of(confirmed)


def test_it_frees_the_seat_after_a_phone_cancellation(confirmed, fukuoka):
    booking_cancel_by_phone(booking=confirmed, now=jst(2026, 12, 1, 9, 0))
    again = hold(fukuoka, START, now=jst(2026, 12, 1, 9, 5), email="next@example.jp", phone="080-1111-2222")
    assert again.status == Status.PENDING


def test_it_refuses_a_phone_cancellation_after_the_start(confirmed):
    with pytest.raises(errors.NotCancellable):
        booking_cancel_by_phone(booking=confirmed, now=START)


def test_it_lets_staff_cancel_a_pending_booking_by_phone(fukuoka):
    booking = hold(fukuoka, START, now=jst(2026, 11, 28, 10, 0))
    cancelled = booking_cancel_by_phone(booking=booking, now=jst(2026, 11, 28, 10, 30))
    assert (cancelled.status, cancelled.cancelled_by) == (Status.CANCELLED, CancelledBy.PHONE)


def test_it_refuses_a_phone_cancellation_of_an_expired_hold(fukuoka):
    booking = hold(fukuoka, START, now=jst(2026, 11, 28, 10, 0))
    with pytest.raises(errors.NotCancellable):
        booking_cancel_by_phone(booking=booking, now=jst(2026, 11, 28, 11, 0))
