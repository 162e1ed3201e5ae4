"""R9: a refused person cannot book online and is told, at the address on file, to contact the office.

SPEC §6 "Who is known": whoever types a refused person's email or phone gets the answer of a
hold; nothing is stored, no seat is taken, and only the address the office has on file is told.
"""

import uuid

import time_machine
from django.core import mail

from bookings.emails import render_mail
from bookings.models import Booking, MailKind, OutgoingMail, Refusal, Status
from tests.bookings.factories import ask, hold, mails_of, second_office
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)
EARLIER = jst(2026, 11, 10, 17, 15)
NOW = jst(2026, 11, 26, 10, 0)


def past_booking(office, **fields):
    """The person's earlier booking at the office: how the office has their address."""
    return hold(office, jst(2026, 11, 10, 17, 15), now=jst(2026, 11, 9, 10, 0), **fields)


def test_a_person_refused_by_email_gets_a_holds_answer_and_no_seat(fukuoka):
    Refusal.objects.create(office=fukuoka, email_key="taro@example.jp", reason="無断欠席の繰り返し")
    answer = ask(fukuoka, START, now=NOW, email="ＴＡＲＯ@example.jp", phone="080-5555-0000")
    assert answer.status == Status.PENDING
    assert uuid.UUID(answer.id).version == 4
    assert not Booking.objects.exists()
    assert not OutgoingMail.objects.exists()  # no address on file: nothing to send


def test_a_person_refused_by_phone_is_told_at_the_address_on_file(
    fukuoka, django_capture_on_commit_callbacks
):
    on_file = past_booking(fukuoka, email="taro@example.jp", phone="090-1234-5678")
    Refusal.objects.create(office=fukuoka, phone_key="+819012345678", reason="脅迫")
    mail.outbox.clear()
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        answer = ask(fukuoka, START, now=NOW, email="new@example.jp", phone="090 1234 5678")
    assert answer.email == "new@example.jp"
    assert list(Booking.objects.all()) == [on_file]  # no seat taken
    [message] = mail.outbox
    assert message.to == ["taro@example.jp"]  # never the newly typed address
    assert mails_of(on_file)[-1] == MailKind.NOT_AVAILABLE
    assert fukuoka.phone in message.body
    assert fukuoka.phone in message.alternatives[0][0]


def test_the_refusal_notice_names_no_reason_and_no_link(fukuoka):
    on_file = past_booking(fukuoka)
    Refusal.objects.create(office=fukuoka, email_key="taro@example.jp", reason="脅迫的な言動")
    ask(fukuoka, START, now=NOW)
    message = render_mail(OutgoingMail.objects.get(booking=on_file, kind=MailKind.NOT_AVAILABLE))
    assert "脅迫" not in message.body
    assert "/b/" not in message.body


def test_it_does_not_refuse_someone_else(fukuoka):
    Refusal.objects.create(office=fukuoka, phone_key="+819012345678", reason="脅迫")
    booking = hold(fukuoka, START, now=NOW, email="hanako@example.jp", phone="080-9876-5432")
    assert booking.status == Status.PENDING


def test_it_refuses_only_at_the_office_that_refused(fukuoka):
    other = second_office()
    Refusal.objects.create(office=other, email_key="taro@example.jp", reason="不正利用")
    assert hold(fukuoka, START, now=NOW).status == Status.PENDING


def test_a_lifted_refusal_lets_the_person_book(fukuoka):
    Refusal.objects.create(office=fukuoka, email_key="taro@example.jp", reason="誤り", lifted_at=NOW)
    answer = ask(fukuoka, START, now=NOW)
    assert Booking.objects.get().pk == uuid.UUID(answer.id)
