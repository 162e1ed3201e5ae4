"""The durable outbox: mail is written with the state change and sent by the worker.

A row is claimed by a conditional update, stamped with the time of that claim,
before it is sent. A claim is a lease: while it runs nobody else sends the row;
once it has run out (its worker died mid-send) the row is due again. So each
claim sends a mail at most once, and a mail is retried until a relay accepts
it, refuses it for good, or it runs out of attempts.

Delivery only reports what happened (an `Outcome`); the worker's tasks book
retries with the queue (bookings.tasks), and the queue is woken through a hook
registered once at start-up (bookings.apps), so this module imports neither.
"""

from __future__ import annotations

import enum
import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import get_connection
from django.db import OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from bookings.emails import render_mail
from bookings.models import Booking, MailKind, MailState, OutgoingMail, Status
from bookings.single_run import only_one

log = logging.getLogger(__name__)

RETRY_DELAYS = [10, 30, 60, 120, 300, 600, 1800, 3600]  # seconds
MAX_ATTEMPTS = 20
# A sweep stops after this many mails or seconds, well inside the minute between
# two sweeps, so that it leaves the worker free for the regular deliveries.
SWEEP_MAX_MAILS = 200
SWEEP_MAX_SECONDS = 40.0

Clock = Callable[[], datetime]
# Called right after a claim with the mail's id and the end of the lease.
OnClaim = Callable[[int, datetime], object]


class Result(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # not sent; try again at `retry_at`
    FAILED = "failed"  # refused for good, or out of attempts: never tried again
    SKIPPED = "skipped"  # no longer wanted (the hold is gone, the booking cancelled)
    NOT_CLAIMED = "not_claimed"  # not due, or someone else holds it


@dataclass(frozen=True)
class Outcome:
    result: Result
    retry_at: datetime | None = None
    relay_down: bool = False  # the relay could not be reached at all


@dataclass
class SweepReport:
    ran: bool  # False: another sweep was running, this one did nothing
    sent: int = 0
    failed: int = 0
    retries: list[tuple[int, datetime]] = field(default_factory=list)
    cut_short: bool = False  # stopped by its bounds or by an unreachable relay


# -- writing mail ------------------------------------------------------------

_on_queued: Callable[[int], object] | None = None


def on_mail_queued(hook: Callable[[int], object]) -> None:
    """Register what wakes the worker for a new mail (bookings.apps does, once)."""
    global _on_queued
    _on_queued = hook


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
    # Should this be lost (no hook, the queue down), the periodic sweep sends the mail.
    if _on_queued is not None:
        _on_queued(mail_id)


# -- sending -----------------------------------------------------------------


def claim_lease() -> timedelta:
    """How long a claim keeps others off a row: longer than any one send can take."""
    return timedelta(seconds=settings.MADOGUCHI_MAIL_LEASE_SECONDS)


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1])


def is_permanent(exc: BaseException) -> bool:
    """The relay refused this message for good (a 5xx to its recipient or its content).

    A 5xx about the session (login, HELO, sender) is a fault of the set-up that
    every mail would meet; those are retried, so that mending it loses nothing.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return 500 <= exc.smtp_code < 600
    return False


def is_unreachable(exc: BaseException) -> bool:
    """No relay answered: refused, timed out, or the connection dropped."""
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return True
    # smtplib's errors are OSErrors too; only the plain ones are the network's.
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _due(now: datetime) -> Q:
    """Queued and due, or claimed under a lease that has run out (its worker died)."""
    return Q(state=MailState.QUEUED, next_attempt_at__lte=now) | Q(
        state=MailState.SENDING, claimed_at__lt=now - claim_lease()
    )


def _claim(mail_id: int, *, now: datetime) -> bool:
    return bool(
        OutgoingMail.objects.filter(pk=mail_id)
        .filter(_due(now))
        .update(state=MailState.SENDING, claimed_at=now)
    )


def _ours(mail: OutgoingMail, *, claimed_at: datetime) -> int:
    """Rows still under our claim (0 if another worker took the row over)."""
    return OutgoingMail.objects.filter(pk=mail.pk, state=MailState.SENDING, claimed_at=claimed_at).update(
        state=mail.state,
        attempts=mail.attempts,
        last_error=mail.last_error,
        next_attempt_at=mail.next_attempt_at,
    )


def deliver_mail(*, mail_id: int, now: datetime, on_claim: OnClaim | None = None) -> Outcome:
    """Claim one mail at `now` and send it if it is due; say what happened.

    Books nothing with the queue: the caller books a retry at `retry_at`.
    """
    if not _claim(mail_id, now=now):
        return Outcome(Result.NOT_CLAIMED)
    if on_claim is not None:
        try:
            on_claim(mail_id, now + claim_lease())
        except Exception:
            log.exception("mail %s: could not book the check at the end of its lease", mail_id)
    mail = OutgoingMail.objects.select_related("booking__office").get(pk=mail_id)
    log.info("mail %s (%s) claimed at %s", mail.pk, mail.kind, now.isoformat())
    if is_obsolete(mail, now=now):
        mail.state = MailState.SKIPPED
        _ours(mail, claimed_at=now)
        return Outcome(Result.SKIPPED)
    try:
        message = render_mail(mail)
        with get_connection() as connection:
            connection.send_messages([message])
    except Exception as exc:  # noqa: BLE001 - any failure is either retried or recorded as failed
        return _record_failure(mail, exc, claimed_at=now)
    _record_sent(mail, now=now)
    log.info("mail %s (%s) sent on attempt %s", mail.pk, mail.kind, mail.attempts)
    return Outcome(Result.SENT)


def _record_failure(mail: OutgoingMail, exc: Exception, *, claimed_at: datetime) -> Outcome:
    mail.attempts += 1
    mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    permanent = is_permanent(exc)
    if permanent or mail.attempts >= MAX_ATTEMPTS:
        mail.state = MailState.FAILED
    else:
        mail.state = MailState.QUEUED
        mail.next_attempt_at = claimed_at + retry_delay(mail.attempts)
    if not _ours(mail, claimed_at=claimed_at):
        log.error("mail %s: its lease ran out during the attempt; another worker has it", mail.pk)
        return Outcome(Result.NOT_CLAIMED)
    if mail.state == MailState.FAILED:
        why = "refused for good" if permanent else "out of attempts"
        log.error("mail %s (%s) failed, %s: %s", mail.pk, mail.kind, why, exc)
        return Outcome(Result.FAILED)
    log.warning("mail %s (%s) attempt %s failed: %s", mail.pk, mail.kind, mail.attempts, exc)
    return Outcome(Result.RETRY, retry_at=mail.next_attempt_at, relay_down=is_unreachable(exc))


def _record_sent(mail: OutgoingMail, *, now: datetime) -> None:
    # The mail is out: recording that must not fail on a busy database, or the
    # lease would run out and the mail go a second time. Recorded even if the
    # lease has run out meanwhile: the mail did go.
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
    if mail.kind == MailKind.ALREADY_BOOKED:  # SPEC §6: about a booking that is still active
        return state not in (Status.PENDING, Status.CONFIRMED) or now >= mail.booking.start
    return False


# -- the sweep ---------------------------------------------------------------


def deliver_due_mail(
    *,
    clock: Clock = timezone.now,
    max_mails: int = SWEEP_MAX_MAILS,
    max_seconds: float = SWEEP_MAX_SECONDS,
    on_claim: OnClaim | None = None,
) -> SweepReport:
    """Send what is due and was not sent: what the queue lost, and leases that ran out.

    One sweep at a time, across every process on the database; each mail is
    claimed at the time `clock` gives at that moment, so however long the sweep
    runs its claims stay fresh. It stops after `max_mails` mails or
    `max_seconds`, and as soon as the relay cannot be reached.
    """
    with only_one("outbox-sweep") as mine:
        if not mine:
            log.info("another sweep of the outbox is running; this one does nothing")
            return SweepReport(ran=False)
        report = SweepReport(ran=True)
        started = clock()
        due = list(
            OutgoingMail.objects.filter(_due(started))
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:max_mails]
        )
        for pk in due:
            now = clock()
            if (now - started).total_seconds() >= max_seconds:
                report.cut_short = True
                break
            try:
                outcome = deliver_mail(mail_id=pk, now=now, on_claim=on_claim)
            except Exception:
                log.exception("mail %s could not be delivered", pk)
                continue
            report.sent += outcome.result == Result.SENT
            report.failed += outcome.result == Result.FAILED
            if outcome.retry_at is not None:
                report.retries.append((pk, outcome.retry_at))
            if outcome.relay_down:
                # The rest would only spend their attempts on the same outage.
                report.cut_short = True
                break
        return report
