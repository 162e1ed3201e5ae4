"""Extra closed days entered by staff (R3), and what they do to bookings already made."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bookings import errors
from bookings.models import Booking, BookingEvent, CancelledBy, EventKind, MailKind, Status, holds_seat
from bookings.outbox import queue_mail
from offices.models import Closure, Office


def bookings_hit(office: Office, day: date, *, now: datetime) -> QuerySet[Booking]:
    """The bookings a closure of `day` would cancel: those holding a seat in a slot not yet started."""
    first = datetime.combine(day, time(0), tzinfo=office.tz)
    last = datetime.combine(day + timedelta(days=1), time(0), tzinfo=office.tz)
    return (
        Booking.objects.filter(
            holds_seat(now), office=office, start__gte=first, start__lt=last, start__gt=now
        )
        .filter(status__in=[Status.PENDING, Status.CONFIRMED])
        .order_by("start", "created_at")
    )


def closure_add(
    *, office: Office, day: date, reason: str, now: datetime, by: User | None = None
) -> list[Booking]:
    """R3: close the office on `day`. Its slots vanish at once; every booking that still
    held a seat that day is cancelled by the office, and its person gets one mail
    (apology, the office phone, a link to book again). Returns those bookings."""
    reason = reason.strip()
    if not reason:
        raise errors.Invalid(fields={"reason": [_("閉庁の理由を入力してください。")]})
    with transaction.atomic(durable=True):
        # Bookings of the office are made under this lock (booking_hold): none can slip in.
        Office.objects.select_for_update().get(pk=office.pk)
        if Closure.objects.filter(office=office, date=day).exists():
            raise errors.Invalid(fields={"date": [_("この日はすでに閉庁日です。")]})
        Closure.objects.create(office=office, date=day, reason=reason)
        cancelled = list(bookings_hit(office, day, now=now).select_for_update(of=("self",)))
        for booking in cancelled:
            BookingEvent.objects.create(
                booking=booking, at=now, kind=EventKind.CANCELLED_BY_OFFICE, by=by, from_status=booking.status
            )
            booking.status = Status.CANCELLED
            booking.cancelled_at = now
            booking.cancelled_by = CancelledBy.OFFICE
            booking.save(update_fields=["status", "cancelled_at", "cancelled_by"])
            queue_mail(booking, MailKind.OFFICE_CANCELLATION, now=now)
    return cancelled


def closure_remove(*, closure: Closure) -> None:
    """Open the day again: its slots come back. Bookings cancelled by the closure stay cancelled."""
    closure.delete()
