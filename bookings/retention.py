"""Retention (R10, R11, SPEC §9): what the worker erases, anonymises or deletes, and when.

Every period is a number of 24-hour days counted from the instant that starts it (the slot's
end, a refusal's decision or lifting, the access itself); a row is due at exactly that instant
plus the period, not a second earlier. Each function is idempotent and works in short batches,
so a first run over a long backlog holds no long transaction and a rerun finds nothing to do.
The audit log (console.AuditEntry) is kept whole: it is the record of who saw what.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Cast, Concat

from bookings.models import Booking, BookingEvent, OutgoingMail, Refusal
from console.models import AccessRecord

log = logging.getLogger(__name__)

_Row = TypeVar("_Row", bound=models.Model)

BATCH = 500

# R11: what identifies or describes the person, and what could lead back to them.
# Kept for the statistics: office, start, end, seat, status, support, language, terms,
# cancelled_by and every *_at time.
PERSONAL_BOOKING_FIELDS = [
    "name",
    "email",
    "email_key",  # blank: an old booking no longer matches anyone (R9 history, one-booking limit)
    "phone",
    "phone_key",
    "jobseeker_number",
    "note",
    "staff_note",
    "meeting_url",
    "token_salt",
    "origin",  # a keyed hash of the client's address (R10: device identification)
]

# Free text about a refused person; the keys stay while the refusal is in force (R9).
REFUSAL_TEXT_FIELDS = ["name", "reason", "lift_reason"]


def retention_cutoff(now: datetime) -> datetime:
    """Slots that ended at or before this instant are past MADOGUCHI_RETENTION_DAYS."""
    return now - timedelta(days=settings.MADOGUCHI_RETENTION_DAYS)


def _any_filled(fields: list[str]) -> Q:
    filled = Q()
    for name in fields:
        filled |= ~Q(**{name: ""})
    return filled


def _batches(due: models.QuerySet[_Row], size: int) -> Iterator[list[Any]]:
    """The primary keys of `due`, a batch at a time, each row at most once (keyset paging)."""
    last = None
    while True:
        page = due.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        ids = list(page.values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _erased_hash() -> Concat:
    # An old link must lead nowhere: a value no SHA-256 hex digest can equal (it has a colon),
    # unique per row as the unique constraints ask.
    return Concat(Value("erased:"), Cast("id", output_field=models.CharField()))


def anonymise_old_bookings(*, now: datetime, batch: int = BATCH) -> int:
    """R11: erase the personal data of bookings whose slot ended MADOGUCHI_RETENTION_DAYS ago.

    The row stays for the statistics. Its mails go (they are rendered from the personal data
    and their errors can quote the address), its events lose who made them, and its link
    tokens stop working. Returns how many bookings were anonymised.
    """
    due = Booking.objects.filter(_any_filled(PERSONAL_BOOKING_FIELDS), end__lte=retention_cutoff(now))
    done = 0
    for ids in _batches(due, batch):
        with transaction.atomic():
            OutgoingMail.objects.filter(booking_id__in=ids).delete()
            BookingEvent.objects.filter(booking_id__in=ids).update(by=None)
            Booking.objects.filter(pk__in=ids).update(
                **dict.fromkeys(PERSONAL_BOOKING_FIELDS, ""),
                confirm_token_hash=_erased_hash(),
                cancel_token_hash=_erased_hash(),
            )
        done += len(ids)
    if done:
        log.info("retention: anonymised %d bookings", done)
    return done


def erase_old_refusals(*, now: datetime, batch: int = BATCH) -> int:
    """R9/R11: a refusal keeps only what matches the person, then goes once lifted long enough.

    In force and decided MADOGUCHI_RETENTION_DAYS ago: name and reasons are blanked, the
    email and phone keys stay so that the refusal still holds. Lifted that long ago: deleted.
    Returns how many refusals were blanked or deleted.
    """
    cutoff = retention_cutoff(now)
    done = 0
    for ids in _batches(Refusal.objects.filter(lifted_at__lte=cutoff), batch):
        Refusal.objects.filter(pk__in=ids).delete()
        done += len(ids)
    due = Refusal.objects.filter(
        _any_filled(REFUSAL_TEXT_FIELDS), lifted_at__isnull=True, created_at__lte=cutoff
    )
    for ids in _batches(due, batch):
        # Not lifted in the meantime: a refusal lifted now keeps its reasons for the full period.
        done += Refusal.objects.filter(pk__in=ids, lifted_at__isnull=True).update(
            **dict.fromkeys(REFUSAL_TEXT_FIELDS, "")
        )
    if done:
        log.info("retention: blanked or deleted %d refusals", done)
    return done


def purge_access_records(*, now: datetime) -> int:
    """R10: delete access records made MADOGUCHI_ACCESS_LOG_DAYS or more before `now`."""
    deleted = AccessRecord.objects.purge_expired(now=now)
    if deleted:
        log.info("retention: deleted %d access records", deleted)
    return deleted
