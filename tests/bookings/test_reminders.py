"""A reminder goes out on the day before the consultation, once."""

from bookings.models import MailKind
from bookings.services import send_due_reminders
from tests.bookings.factories import confirm, hold, mails_of
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)


def confirmed_on(fukuoka, day):
    booking = hold(fukuoka, START, now=jst(2026, 11, day, 10, 0))
    return confirm(booking, now=jst(2026, 11, day, 10, 5))


def test_it_sends_no_reminder_before_the_morning_of_the_day_before(fukuoka):
    booking = confirmed_on(fukuoka, 27)
    assert send_due_reminders(now=jst(2026, 11, 29, 23, 59)) == 0
    assert send_due_reminders(now=jst(2026, 11, 30, 8, 59, 59)) == 0
    assert MailKind.REMINDER not in mails_of(booking)


def test_it_sends_one_reminder_on_the_day_before(fukuoka):
    booking = confirmed_on(fukuoka, 27)
    assert send_due_reminders(now=jst(2026, 11, 30, 9, 0)) == 1
    assert send_due_reminders(now=jst(2026, 11, 30, 18, 0)) == 0
    assert mails_of(booking).count(MailKind.REMINDER) == 1


def test_it_sends_no_reminder_on_the_day_itself(fukuoka):
    booking = confirmed_on(fukuoka, 27)
    assert send_due_reminders(now=jst(2026, 12, 1, 9, 0)) == 0
    assert MailKind.REMINDER not in mails_of(booking)


def test_it_skips_the_reminder_when_confirmed_on_the_day_before(fukuoka):
    booking = confirmed_on(fukuoka, 30)
    assert send_due_reminders(now=jst(2026, 11, 30, 12, 0)) == 0
    assert MailKind.REMINDER not in mails_of(booking)


def test_it_sends_no_reminder_for_a_cancelled_booking(fukuoka):
    from bookings.services import booking_cancel
    from tests.bookings.factories import cancel_token

    booking = confirmed_on(fukuoka, 27)
    booking_cancel(token=cancel_token(booking), now=jst(2026, 11, 28, 12, 0))
    assert send_due_reminders(now=jst(2026, 11, 30, 9, 0)) == 0
