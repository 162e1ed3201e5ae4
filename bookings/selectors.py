"""Read-only views of bookings: seats left per slot, and the seat a new hold may take."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Max

from bookings.models import SEAT_HOLDING, Booking, holds_seat
from offices.models import Office
from offices.schedule import Slot
from offices.services import bookable_slots


@dataclass(frozen=True)
class SlotAvailability:
    slot: Slot
    remaining: int

    @property
    def is_full(self) -> bool:
        return self.remaining == 0


def slot_availability(
    office: Office, *, now: datetime, first: date | None = None, last: date | None = None
) -> list[SlotAvailability]:
    slots = bookable_slots(office, now=now, first=first, last=last)
    if not slots:
        return []
    # One aggregate per read, counted by the database: never a cached count of seats.
    taken = dict(
        Booking.objects.filter(
            holds_seat(now), office=office, start__gte=slots[0].start, start__lte=slots[-1].start
        )
        .values("start")
        .annotate(n=Count("pk"))
        .values_list("start", "n")
        .order_by()
    )
    return [
        SlotAvailability(slot=slot, remaining=max(slot.capacity - taken.get(slot.start, 0), 0))
        for slot in slots
    ]


def free_seat(office: Office, slot: Slot, *, now: datetime) -> int | None:
    """The seat number a new hold in `slot` takes, or None when the slot is full.

    Call under the office lock. Full means as many bookings holding a seat at `now` as the
    slot has seats (holds_seat: a lapsed pending hold no longer counts). The number must also
    be free of every row the one_booking_per_seat constraint covers, lapsed holds included:
    usually the next number above the highest; else a gap; else lapsed holds of the slot are
    expired (with their notices) to give their numbers back.
    """
    from bookings.services import expire_due_holds  # bookings.services imports this module

    rows = Booking.objects.filter(office=office, start=slot.start, status__in=SEAT_HOLDING)
    counts = rows.aggregate(holding=Count("pk", filter=holds_seat(now)), top=Max("seat"))
    if counts["holding"] >= slot.capacity:
        return None
    top = counts["top"] or 0
    if top < slot.capacity:
        return top + 1
    for attempt in range(2):
        taken = set(rows.values_list("seat", flat=True))
        free = [seat for seat in range(1, slot.capacity + 1) if seat not in taken]
        if free:
            return free[0]
        if attempt == 0:
            expire_due_holds(now=now, office=office, start=slot.start)
    return None
