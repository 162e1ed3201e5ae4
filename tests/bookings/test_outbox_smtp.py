"""The outbox against a real SMTP server: a booking stands while SMTP is down, and
every mail arrives exactly once when it is back."""

from __future__ import annotations

import email
import socket
import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller

from bookings.models import Booking, MailKind, MailState, OutgoingMail, Status
from bookings.outbox import Result, deliver_due_mail, deliver_mail
from tests.bookings.factories import hold
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)
NOW = jst(2026, 11, 26, 10, 0)


class Inbox:
    """An aiosmtpd server on 127.0.0.1:`port` that counts what arrives by Message-ID."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    def start(self) -> None:
        # Made only when started: an unstarted Controller leaves its event loop open.
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.ids[str(message["Message-ID"])] += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """SMTP settings pointing at a port where nothing listens yet; `start()` brings it up."""
    inbox = Inbox(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = inbox.port
    settings.EMAIL_TIMEOUT = 5
    yield inbox
    inbox.stop()


def test_it_keeps_the_booking_and_queues_the_mail_while_smtp_is_down(
    fukuoka, smtp, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            booking = hold(fukuoka, START, now=NOW)
    assert len(callbacks) == 1  # the worker was woken for the mail
    assert Booking.objects.get(pk=booking.pk).status == Status.PENDING
    mail = OutgoingMail.objects.get(booking=booking)
    assert mail.state == MailState.QUEUED
    assert mail.attempts == 1
    assert mail.next_attempt_at > NOW
    assert mail.last_error


def test_it_delivers_every_queued_mail_exactly_once_when_smtp_is_back(
    fukuoka, smtp, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            first = hold(fukuoka, START, now=NOW)
        with django_capture_on_commit_callbacks(execute=True):
            second = hold(
                fukuoka, jst(2026, 12, 1, 18, 15), now=NOW, email="hanako@example.jp", phone="080-2222-3333"
            )
    mails = OutgoingMail.objects.filter(booking__in=[first, second])
    assert list(mails.values_list("kind", flat=True)) == [MailKind.CONFIRM_REQUEST] * 2
    assert set(mails.values_list("state", "attempts")) == {(MailState.QUEUED, 1)}

    smtp.start()
    assert deliver_due_mail(clock=lambda: NOW + timedelta(seconds=5)).sent == 0  # not due yet: backoff
    later = NOW + timedelta(minutes=1)
    assert deliver_due_mail(clock=lambda: later).sent == 2
    assert smtp.ids == Counter({m.message_id: 1 for m in mails})
    assert set(mails.values_list("state", "attempts")) == {(MailState.SENT, 2)}

    assert deliver_due_mail(clock=lambda: later + timedelta(minutes=10)).sent == 0
    assert sum(smtp.ids.values()) == 2


def test_it_skips_a_confirmation_request_whose_hold_is_gone(fukuoka, smtp):
    booking = hold(fukuoka, START, now=NOW)
    mail = OutgoingMail.objects.get(booking=booking)
    smtp.start()
    # The hold expired before SMTP came back: the link would only lead to "expired".
    assert deliver_due_mail(clock=lambda: NOW + timedelta(hours=1)).sent == 0
    mail.refresh_from_db()
    assert mail.state == MailState.SKIPPED
    assert sum(smtp.ids.values()) == 0


def test_it_delivers_one_row_once_when_asked_twice(fukuoka, smtp):
    smtp.start()
    booking = hold(fukuoka, START, now=NOW)
    mail = OutgoingMail.objects.get(booking=booking)
    assert deliver_mail(mail_id=mail.pk, now=NOW).result == Result.SENT
    assert deliver_mail(mail_id=mail.pk, now=NOW + timedelta(minutes=20)).result == Result.NOT_CLAIMED
    assert smtp.ids == Counter({mail.message_id: 1})
    mail.refresh_from_db()
    assert (mail.state, mail.attempts, mail.sent_at) == (MailState.SENT, 1, NOW)


def test_it_backs_off_longer_after_each_failure(fukuoka, smtp):
    booking = hold(fukuoka, START, now=NOW)
    mail = OutgoingMail.objects.get(booking=booking)
    delays = []
    at = NOW
    for _ in range(3):
        assert deliver_due_mail(clock=lambda at=at: at).sent == 0
        mail.refresh_from_db()
        delays.append(mail.next_attempt_at - at)
        at = mail.next_attempt_at
    assert delays == [timedelta(seconds=10), timedelta(seconds=30), timedelta(seconds=60)]
    assert (mail.state, mail.attempts) == (MailState.QUEUED, 3)
    assert Booking.objects.get(pk=booking.pk).status == Status.PENDING
