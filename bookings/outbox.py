"""The durable outbox: mail is written with the state change and sent by the worker.

A row is claimed by a conditional update before it is sent, so two workers
never send the same mail; a failed attempt is retried with a growing delay.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from email.utils import make_msgid

from django.core.mail import get_connection
from django.db import OperationalError, transaction
from django.db.models import Q

from bookings.models import Booking, MailKind, MailState, OutgoingMail, Status

log = logging.getLogger(__name__)

RETRY_DELAYS = [10, 30, 60, 120, 300, 600, 1800, 3600]  # seconds
MAX_ATTEMPTS = 20
# A claim older than this belongs to a worker that died mid-send.
STALE_CLAIM = timedelta(minutes=10)


def queue_mail(booking: Booking, kind: MailKind, *, now: datetime) -> OutgoingMail:
    """Write the mail into the outbox; call inside the transaction of the change."""
    mail = OutgoingMail.objects.create(
        booking=booking,
        kind=kind,
        message_id=make_msgid(domain="madoguchi.invalid"),
        created_at=now,
        next_attempt_at=now,
    )
    transaction.on_commit(lambda: _wake_worker(mail.pk), robust=True)
    return mail


def _wake_worker(mail_id: int) -> None:
    # The periodic sweep sends the mail anyway if this enqueue is lost.
    from bookings.tasks import deliver_mail_task

    deliver_mail_task(mail_id)


def _retry_at(mail_id: int, due: datetime) -> None:
    # Whoever made the failed attempt (the task or the sweep) books the retry;
    # should the queue refuse it, the periodic sweep still finds the row.
    from bookings.tasks import deliver_mail_task

    try:
        deliver_mail_task.schedule((mail_id,), eta=due)
    except Exception:
        log.exception("could not schedule a retry of mail %s", mail_id)


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1])


def _due(now: datetime) -> Q:
    """Queued and due, or claimed by a worker that has since died."""
    return Q(state=MailState.QUEUED, next_attempt_at__lte=now) | Q(
        state=MailState.SENDING, claimed_at__lt=now - STALE_CLAIM
    )


def _claim(mail_id: int, *, now: datetime) -> bool:
    return bool(
        OutgoingMail.objects.filter(pk=mail_id)
        .filter(_due(now))
        .update(state=MailState.SENDING, claimed_at=now)
    )


def deliver_mail(*, mail_id: int, now: datetime) -> bool:
    """Send one queued mail if it is due. True if it went out.

    After a failed attempt the row stays queued with its next attempt time,
    and a retry is booked with the task queue for that time.
    """
    from bookings.emails import render_mail

    if not _claim(mail_id, now=now):
        return False
    mail = OutgoingMail.objects.select_related("booking__office").get(pk=mail_id)
    if is_obsolete(mail, now=now):
        mail.state = MailState.SKIPPED
        mail.save(update_fields=["state"])
        return False
    try:
        message = render_mail(mail)
        with get_connection() as connection:
            connection.send_messages([message])
    except Exception as exc:  # noqa: BLE001 - any failure is retried, none is lost
        mail.attempts += 1
        mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if mail.attempts >= MAX_ATTEMPTS:
            mail.state = MailState.FAILED
        else:
            mail.state = MailState.QUEUED
            mail.next_attempt_at = now + retry_delay(mail.attempts)
        mail.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
        log.warning("mail %s (%s) attempt %s failed: %s", mail.pk, mail.kind, mail.attempts, exc)
        if mail.state == MailState.QUEUED:
            _retry_at(mail.pk, mail.next_attempt_at)
        return False
    _record_sent(mail, now=now)
    log.info("mail %s (%s) sent on attempt %s", mail.pk, mail.kind, mail.attempts)
    return True


def _record_sent(mail: OutgoingMail, *, now: datetime) -> None:
    # The mail is out: recording that must not fail on a busy database, or the
    # stale claim would send it a second time.
    mail.attempts += 1
    mail.state = MailState.SENT
    mail.sent_at = now
    mail.last_error = ""
    for attempt in range(5):
        try:
            mail.save(update_fields=["attempts", "state", "sent_at", "last_error"])
            return
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.5 * (attempt + 1))


def is_obsolete(mail: OutgoingMail, *, now: datetime) -> bool:
    """A request to confirm a hold that is gone, or a reminder of a cancelled booking."""
    state = mail.booking.status_at(now)
    if mail.kind == MailKind.CONFIRM_REQUEST:
        return state != Status.PENDING
    if mail.kind == MailKind.REMINDER:
        return state != Status.CONFIRMED
    return False


def deliver_due_mail(*, now: datetime, limit: int = 200) -> int:
    due = (
        OutgoingMail.objects.filter(_due(now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in list(due):
        try:
            sent += deliver_mail(mail_id=pk, now=now)
        except Exception:
            log.exception("mail %s could not be delivered", pk)
    return sent
