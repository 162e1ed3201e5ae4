"""R5 and SPEC §6: at its expiry the hold no longer exists, whether or not the worker has run."""

from datetime import timedelta

from bookings.models import Booking, MailKind, Status
from bookings.selectors import slot_availability
from bookings.services import active_bookings, expire_due_holds
from tests.bookings.factories import OTHER, hold, mails_of
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)
HELD = jst(2026, 12, 1, 10, 0)
EXPIRY = HELD + timedelta(hours=1)


def remaining(office, now):
    day = START.date()
    return {a.slot.start: a.remaining for a in slot_availability(office, now=now, first=day, last=day)}[START]


def test_it_shows_the_held_seat_as_taken(fukuoka):
    hold(fukuoka, START, now=HELD)
    assert remaining(fukuoka, EXPIRY - timedelta(seconds=1)) == 0


def test_it_shows_the_seat_free_again_at_expiry_without_the_worker(fukuoka):
    hold(fukuoka, START, now=HELD)
    assert remaining(fukuoka, EXPIRY) == 1
    assert not active_bookings(fukuoka, now=EXPIRY).exists()


def test_it_gives_the_seat_to_someone_else_at_expiry_without_the_worker(fukuoka):
    first = hold(fukuoka, START, now=HELD)
    second = hold(fukuoka, START, now=EXPIRY, **OTHER)
    assert second.status == Status.PENDING
    assert second.seat == first.seat == 1
    first.refresh_from_db()
    assert first.status == Status.EXPIRED
    assert mails_of(first) == [MailKind.CONFIRM_REQUEST, MailKind.EXPIRY]


def test_it_lets_the_same_person_book_again_after_expiry(fukuoka):
    hold(fukuoka, START, now=HELD)
    again = hold(fukuoka, START, now=EXPIRY)
    assert again.status == Status.PENDING


def test_it_expires_due_holds_once_with_one_notice(fukuoka):
    booking = hold(fukuoka, START, now=HELD)
    assert expire_due_holds(now=EXPIRY - timedelta(seconds=1)) == 0
    assert expire_due_holds(now=EXPIRY) == 1
    assert expire_due_holds(now=EXPIRY + timedelta(minutes=1)) == 0
    assert Booking.objects.get(pk=booking.pk).status == Status.EXPIRED
    assert mails_of(booking).count(MailKind.EXPIRY) == 1
