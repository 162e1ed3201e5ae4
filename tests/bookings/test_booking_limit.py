"""SPEC §6: one active booking per person per office.

A second request gets the answer of a hold ("Who is known"): it takes no seat, and only the
address on file learns why, by a mail with the existing booking and what can be done with it.
"""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from bookings import errors
from bookings.emails import render_mail
from bookings.models import Booking, MailKind, OutgoingMail, Status
from bookings.outbox import is_obsolete
from bookings.services import booking_cancel, booking_cancel_by_phone, mark_no_shows
from tests.bookings.factories import ask, cancel_token, confirm, confirm_token, hold, mails_of, second_office
from tests.conftest import jst

FIRST = jst(2026, 12, 1, 17, 15)
SECOND = jst(2026, 12, 3, 18, 15)
NOW = jst(2026, 11, 26, 10, 0)


def assert_answered_like_a_hold(answer, *, start=SECOND, now=NOW):
    assert answer.status == Status.PENDING
    assert uuid.UUID(answer.id).version == 4  # the shape of every booking id
    assert not Booking.objects.filter(pk=answer.id).exists()  # and no booking's
    assert answer.start == start
    assert answer.expires_at == min(now + timedelta(hours=1), start)  # as a real hold's


def notice(booking):
    with time_machine.travel(NOW, tick=False):
        return render_mail(OutgoingMail.objects.get(booking=booking, kind=MailKind.ALREADY_BOOKED))


@pytest.mark.parametrize(
    "email",
    ["taro@example.jp", "TARO@Example.JP", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "  Taro@example.jp  "],
)
def test_a_second_request_with_the_same_email_takes_no_seat(fukuoka, email):
    first = hold(fukuoka, FIRST, now=NOW)
    answer = ask(fukuoka, SECOND, now=NOW, email=email, phone="080-5555-0000")
    assert_answered_like_a_hold(answer)
    assert list(Booking.objects.all()) == [first]
    assert mails_of(first) == [MailKind.CONFIRM_REQUEST, MailKind.ALREADY_BOOKED]


@pytest.mark.parametrize(
    "phone",
    ["09012345678", "090 1234 5678", "+81 90-1234-5678", "０９０－１２３４－５６７８", "(090)1234-5678"],
)
def test_a_second_request_with_the_same_phone_takes_no_seat(fukuoka, phone):
    first = hold(fukuoka, FIRST, now=NOW)
    answer = ask(fukuoka, SECOND, now=NOW, email="another@example.jp", phone=phone)
    assert_answered_like_a_hold(answer)
    assert answer.email == "another@example.jp"  # what the page shows: what was typed
    assert list(Booking.objects.all()) == [first]
    assert mails_of(first) == [MailKind.CONFIRM_REQUEST, MailKind.ALREADY_BOOKED]


def test_the_notice_goes_only_to_the_address_on_file(fukuoka, django_capture_on_commit_callbacks):
    confirm(hold(fukuoka, FIRST, now=NOW), now=NOW)
    mail.outbox.clear()
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        ask(fukuoka, SECOND, now=NOW, email="stranger@example.jp", phone="090-1234-5678")
    [message] = mail.outbox
    assert message.to == ["taro@example.jp"]
    assert "stranger@example.jp" not in message.body


def test_the_notice_of_a_confirmed_booking_gives_its_date_and_cancellation_link(fukuoka):
    first = confirm(hold(fukuoka, FIRST, now=NOW), now=NOW)
    ask(fukuoka, SECOND, now=NOW)
    message = notice(first)
    html = message.alternatives[0][0]
    assert "2026年12月1日（火）17:15" in message.body
    link = f"/b/cancel/{cancel_token(first)}"
    assert link in message.body and link in html
    assert "/b/confirm/" not in message.body


def test_the_notice_of_a_pending_hold_gives_its_confirmation_link(fukuoka):
    first = hold(fukuoka, FIRST, now=NOW)
    ask(fukuoka, SECOND, now=NOW)
    message = notice(first)
    assert f"/b/confirm/{confirm_token(first)}" in message.body
    assert "/b/cancel/" not in message.body


def test_the_notice_on_the_day_says_to_phone(fukuoka):
    today = jst(2026, 12, 1, 9, 0)
    first = confirm(hold(fukuoka, FIRST, now=NOW), now=NOW)
    ask(fukuoka, jst(2026, 12, 3, 18, 15), now=today)
    with time_machine.travel(today, tick=False):
        message = render_mail(OutgoingMail.objects.get(booking=first, kind=MailKind.ALREADY_BOOKED))
    assert "/b/cancel/" not in message.body
    assert fukuoka.phone in message.body


def test_one_notice_an_hour_however_often_someone_asks(fukuoka):
    first = confirm(hold(fukuoka, FIRST, now=NOW), now=NOW)
    for minutes in (0, 1, 59):
        ask(fukuoka, SECOND, now=NOW.replace(minute=minutes))
    assert mails_of(first).count(MailKind.ALREADY_BOOKED) == 1
    ask(fukuoka, SECOND, now=NOW.replace(hour=11, minute=0, second=1))
    assert mails_of(first).count(MailKind.ALREADY_BOOKED) == 2
    assert Booking.objects.count() == 1


def test_a_notice_about_a_booking_cancelled_before_it_went_out_is_not_sent(fukuoka):
    first = confirm(hold(fukuoka, FIRST, now=NOW), now=NOW)
    ask(fukuoka, SECOND, now=NOW)
    booking_cancel(token=cancel_token(first), now=NOW)
    assert is_obsolete(OutgoingMail.objects.get(booking=first, kind=MailKind.ALREADY_BOOKED), now=NOW)


def test_it_allows_booking_again_after_a_link_cancellation(fukuoka):
    first = confirm(hold(fukuoka, FIRST, now=NOW), now=NOW)
    booking_cancel(token=cancel_token(first), now=NOW)
    assert hold(fukuoka, SECOND, now=NOW).status == Status.PENDING


def test_it_allows_booking_again_after_a_phone_cancellation(fukuoka):
    first = hold(fukuoka, FIRST, now=NOW)
    booking_cancel_by_phone(booking=first, now=NOW)
    assert hold(fukuoka, SECOND, now=NOW).status == Status.PENDING


def test_it_allows_booking_again_after_the_hold_expired(fukuoka):
    hold(fukuoka, FIRST, now=NOW)
    later = jst(2026, 11, 26, 11, 0)
    assert hold(fukuoka, SECOND, now=later).status == Status.PENDING


def test_it_allows_booking_again_once_the_consultation_has_started(fukuoka):
    confirm(hold(fukuoka, FIRST, now=NOW), now=NOW)
    assert hold(fukuoka, SECOND, now=FIRST).status == Status.PENDING


def test_it_allows_booking_again_after_a_no_show(fukuoka):
    confirm(hold(fukuoka, FIRST, now=NOW), now=NOW)
    after = jst(2026, 12, 1, 17, 25)
    mark_no_shows(now=after)
    assert hold(fukuoka, SECOND, now=after).status == Status.PENDING


def test_it_counts_bookings_per_office(fukuoka):
    other = second_office()
    hold(fukuoka, FIRST, now=NOW)
    assert hold(other, FIRST, now=NOW).status == Status.PENDING


def test_it_lets_two_people_book_two_slots(fukuoka):
    hold(fukuoka, FIRST, now=NOW)
    other = hold(fukuoka, SECOND, now=NOW, email="hanako@example.jp", phone="080-9876-5432")
    assert other.status == Status.PENDING


def test_a_known_person_asking_for_a_full_slot_hears_slot_full_like_anyone(fukuoka):
    hold(fukuoka, FIRST, now=NOW)
    hold(fukuoka, SECOND, now=NOW, email="hanako@example.jp", phone="080-9876-5432")
    with pytest.raises(errors.SlotFull):
        ask(fukuoka, SECOND, now=NOW)  # taro holds FIRST; SECOND is full for everyone
