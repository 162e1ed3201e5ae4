"""Background jobs: thin wrappers over the services, run by the huey consumer.

The outbox only reports what an attempt did; booking the retry with the queue
is done here, so bookings.outbox never needs the queue.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from bookings.outbox import deliver_due_mail, deliver_mail
from bookings.retention import anonymise_old_bookings, erase_old_refusals, purge_access_records
from bookings.services import expire_due_holds, mark_no_shows, send_due_reminders

log = logging.getLogger(__name__)


def book_delivery(mail_id: int, at: datetime) -> None:
    # Straight into the queue's schedule: a task with an eta put on the queue waits there
    # until a worker moves it to the schedule, and a worker killed in between loses it.
    # Should the queue refuse it, the periodic sweep still finds the row.
    try:
        deliver_mail_task.huey.add_schedule(deliver_mail_task.s(mail_id, eta=at))
    except Exception:
        log.exception("could not book a delivery of mail %s", mail_id)


def book_lease_check(mail_id: int, lease_end: datetime) -> None:
    # Should the worker die mid-send, this finds the lapsed claim and sends again;
    # after a good send it finds nothing to do.
    book_delivery(mail_id, lease_end + timedelta(seconds=1))


@db_task()
def deliver_mail_task(mail_id: int) -> None:
    outcome = deliver_mail(mail_id=mail_id, now=timezone.now(), on_claim=book_lease_check)
    if outcome.retry_at is not None:
        book_delivery(mail_id, outcome.retry_at)


# Each job on its own, so that one failing does not stop the others.
@db_periodic_task(crontab(minute="*"))
def expire_holds_task() -> None:
    expire_due_holds(now=timezone.now())


@db_periodic_task(crontab(minute="*"))
def mark_no_shows_task() -> None:
    mark_no_shows(now=timezone.now())


@db_periodic_task(crontab(minute="*"))
def send_reminders_task() -> None:
    send_due_reminders(now=timezone.now())


@db_periodic_task(crontab(minute="*"))
def sweep_mail_task() -> None:
    # Picks up whatever the queue lost: the outbox row is the truth. Bounded, and
    # never two at once (see outbox.deliver_due_mail).
    report = deliver_due_mail(clock=timezone.now, on_claim=book_lease_check)
    for mail_id, at in report.retries:
        book_delivery(mail_id, at)


# Retention (R10, R11), once a day at night in Japan: huey's crontab is in UTC, so 18:xx UTC
# is 03:xx JST. Idempotent: a run that is repeated, or that follows a missed day, only
# catches up.
@db_periodic_task(crontab(minute="15", hour="18"))
def purge_access_records_task() -> None:
    purge_access_records(now=timezone.now())


@db_periodic_task(crontab(minute="30", hour="18"))
def anonymise_old_bookings_task() -> None:
    anonymise_old_bookings(now=timezone.now())


@db_periodic_task(crontab(minute="45", hour="18"))
def erase_old_refusals_task() -> None:
    erase_old_refusals(now=timezone.now())
