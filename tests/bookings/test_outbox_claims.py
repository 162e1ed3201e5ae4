"""The outbox claims a row before sending it: one mail, one delivery, even with two workers."""

from datetime import UTC, timedelta

import time_machine
from django.core import mail as django_mail
from huey.contrib.djhuey import HUEY

from bookings.models import MailState, OutgoingMail
from bookings.outbox import Result, deliver_due_mail, deliver_mail
from bookings.tasks import deliver_mail_task
from tests.bookings.factories import hold
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)
NOW = jst(2026, 11, 26, 10, 0)


def queued(fukuoka):
    return OutgoingMail.objects.get(booking=hold(fukuoka, START, now=NOW))


def test_it_sends_a_due_mail_once(fukuoka):
    mail = queued(fukuoka)
    assert deliver_mail(mail_id=mail.pk, now=NOW).result == Result.SENT
    assert deliver_mail(mail_id=mail.pk, now=NOW).result == Result.NOT_CLAIMED
    assert deliver_due_mail(clock=lambda: NOW + timedelta(days=1)).sent == 0
    assert [m.extra_headers["Message-ID"] for m in django_mail.outbox] == [mail.message_id]
    assert OutgoingMail.objects.get(pk=mail.pk).state == MailState.SENT


def test_it_leaves_a_row_another_worker_is_sending(fukuoka):
    mail = queued(fukuoka)
    OutgoingMail.objects.filter(pk=mail.pk).update(state=MailState.SENDING, claimed_at=NOW)
    assert deliver_mail(mail_id=mail.pk, now=NOW + timedelta(minutes=9)).result == Result.NOT_CLAIMED
    assert django_mail.outbox == []


def test_it_takes_over_a_claim_left_by_a_dead_worker(fukuoka):
    mail = queued(fukuoka)
    OutgoingMail.objects.filter(pk=mail.pk).update(state=MailState.SENDING, claimed_at=NOW)
    assert deliver_due_mail(clock=lambda: NOW + timedelta(minutes=10, seconds=1)).sent == 1
    assert len(django_mail.outbox) == 1


def test_it_waits_for_a_mail_that_is_not_due(fukuoka):
    mail = queued(fukuoka)
    assert deliver_mail(mail_id=mail.pk, now=NOW - timedelta(seconds=1)).result == Result.NOT_CLAIMED
    assert OutgoingMail.objects.get(pk=mail.pk).state == MailState.QUEUED


def test_it_books_a_retry_with_the_queue_when_an_attempt_fails(fukuoka, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused
    HUEY.flush()
    mail = queued(fukuoka)
    with time_machine.travel(NOW, tick=False):
        deliver_mail_task.call_local(mail.pk)
    mail.refresh_from_db()
    assert (mail.state, mail.attempts) == (MailState.QUEUED, 1)
    assert mail.next_attempt_at == NOW + timedelta(seconds=10)
    # The task books the retry, and a check for the end of the claim's lease.
    retry, lease_check = sorted(HUEY.scheduled(), key=lambda task: task.eta)
    assert retry.args == lease_check.args == (mail.pk,)
    assert retry.eta == mail.next_attempt_at.astimezone(UTC).replace(tzinfo=None)
    assert lease_check.eta == (NOW + timedelta(minutes=10, seconds=1)).astimezone(UTC).replace(tzinfo=None)
