"""Background jobs: thin wrappers over the services, run by the huey consumer."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from bookings.outbox import deliver_due_mail, deliver_mail
from bookings.services import expire_due_holds, mark_no_shows, send_due_reminders


@db_task()
def deliver_mail_task(mail_id: int) -> None:
    # A failed attempt books its own retry (see outbox.deliver_mail).
    deliver_mail(mail_id=mail_id, now=timezone.now())


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
    # Picks up whatever the queue lost: the outbox row is the truth.
    deliver_due_mail(now=timezone.now())


# Retention (R10, R11), once a day at night in Japan: huey's crontab is in UTC, so 18:xx UTC
# is 03:xx JST. Idempotent: a run that is repeated, or that follows a missed day, only
# catches up.
@db_periodic_task(crontab(minute="15", hour="18"))
def purge_access_records_task() -> None:
    from bookings.retention import purge_access_records

    purge_access_records(now=timezone.now())


@db_periodic_task(crontab(minute="30", hour="18"))
def anonymise_old_bookings_task() -> None:
    from bookings.retention import anonymise_old_bookings

    anonymise_old_bookings(now=timezone.now())


@db_periodic_task(crontab(minute="45", hour="18"))
def erase_old_refusals_task() -> None:
    from bookings.retention import erase_old_refusals

    erase_old_refusals(now=timezone.now())
