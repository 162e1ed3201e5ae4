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


@db_periodic_task(crontab(minute="*"))
def every_minute() -> None:
    now = timezone.now()
    expire_due_holds(now=now)
    mark_no_shows(now=now)
    send_due_reminders(now=now)
    deliver_due_mail(now=now)
