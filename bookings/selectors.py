"""Read-only views of bookings: seats left per slot."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from bookings.services import active_bookings
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
    taken = Counter(
        active_bookings(office, now=now)
        .filter(start__gte=slots[0].start, start__lte=slots[-1].start)
        .values_list("start", flat=True)
    )
    return [
        SlotAvailability(slot=slot, remaining=max(slot.capacity - taken[slot.start], 0)) for slot in slots
    ]
