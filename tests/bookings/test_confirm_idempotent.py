"""R5/R6 and SPEC §6: confirming again gives the same answer and no second completion mail."""

import pytest

from bookings import errors
from bookings.models import MailKind, Status
from bookings.services import booking_confirm
from tests.bookings.factories import confirm, hold, mails_of
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)
NOW = jst(2026, 11, 26, 10, 0)


def test_it_answers_the_same_when_confirmed_twice(fukuoka):
    booking = hold(fukuoka, START, now=NOW)
    first = confirm(booking, now=jst(2026, 11, 26, 10, 10))
    again = confirm(booking, now=jst(2026, 11, 26, 10, 20))
    assert (again.pk, again.status, again.start) == (first.pk, Status.CONFIRMED, first.start)
    assert again.meeting_url == first.meeting_url
    assert again.confirmed_at == jst(2026, 11, 26, 10, 10)
    assert mails_of(booking) == [MailKind.CONFIRM_REQUEST, MailKind.COMPLETION]


def test_it_answers_the_same_after_the_window_once_confirmed(fukuoka):
    booking = hold(fukuoka, START, now=NOW)
    first = confirm(booking, now=jst(2026, 11, 26, 10, 10))
    again = confirm(booking, now=jst(2026, 11, 27, 10, 0))
    assert (again.status, again.meeting_url) == (Status.CONFIRMED, first.meeting_url)
    assert mails_of(booking).count(MailKind.COMPLETION) == 1


def test_it_refuses_an_unknown_confirm_token(fukuoka):
    with pytest.raises(errors.NotFound):
        booking_confirm(token="x" * 43, now=NOW)


def test_it_refuses_the_cancel_token_as_a_confirm_token(fukuoka):
    from tests.bookings.factories import cancel_token

    booking = hold(fukuoka, START, now=NOW)
    with pytest.raises(errors.NotFound):
        booking_confirm(token=cancel_token(booking), now=NOW)


def test_it_gives_the_meeting_link_only_on_confirmation(fukuoka):
    booking = hold(fukuoka, START, now=NOW)
    assert booking.meeting_url == ""
    assert confirm(booking, now=NOW).meeting_url.startswith("https://meet.example.org/room/")
