"""Read-only views of bookings: seats left per slot, and the seat a new hold may take."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    DateTimeField,
    Exists,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from bookings.models import SEAT_HOLDING, Booking, Refusal, holds_seat
from madoguchi.prepared import Param, Prepared
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


@dataclass(frozen=True)
class HoldFacts:
    """What a hold must know, read in one query under the office lock (bookings.services)."""

    revision: int  # the office's (offices.timetable): has its timetable changed since?
    refused: bool  # R9: a refusal in force matches the email or the phone
    existing: uuid.UUID | None  # SPEC §6: pk of the person's first active booking at the office
    holding: int  # bookings holding a seat of the slot now (holds_seat)
    top: int  # the highest seat number any seat-holding row of the slot occupies, lapsed holds too


def _hold_facts_query() -> QuerySet[Any, Any]:
    now = Param("now", DateTimeField())
    office_id = Param("office_id", BigIntegerField())
    same_person = Q(email_key=Param("email_key", CharField())) | Q(phone_key=Param("phone_key", CharField()))
    refusals = Refusal.objects.filter(same_person, office_id=office_id, lifted_at__isnull=True)
    # The person's active bookings at the office (SPEC §6), as bookings.services.active_bookings.
    active = Booking.objects.filter(holds_seat(now), same_person, office_id=office_id, start__gt=now)
    seats = Booking.objects.filter(
        office_id=office_id, start=Param("start", DateTimeField()), status__in=SEAT_HOLDING
    )
    per_office = seats.order_by().values("office")
    return (
        Office.objects.filter(pk=office_id)
        .annotate(
            refused=Exists(refusals),
            existing=Subquery(active.order_by("start").values("pk")[:1]),
            holding=Coalesce(
                Subquery(per_office.filter(holds_seat(now)).annotate(n=Count("pk")).values("n")),
                Value(0),
                output_field=IntegerField(),
            ),
            top=Coalesce(
                Subquery(per_office.annotate(m=Max("seat")).values("m")),
                Value(0),
                output_field=IntegerField(),
            ),
        )
        .values_list("revision", "refused", "existing", "holding", "top")
        .order_by()
    )


_HOLD_FACTS = Prepared(_hold_facts_query)


def hold_facts(office: Office, slot: Slot, *, email_key: str, phone_key: str, now: datetime) -> HoldFacts:
    row = _HOLD_FACTS.one(
        office_id=office.pk, start=slot.start, email_key=email_key, phone_key=phone_key, now=now
    )
    if row is None:
        raise Office.DoesNotExist(office.pk)
    revision, refused, existing, holding, top = row
    return HoldFacts(
        revision=revision,
        refused=bool(refused),
        existing=None if existing is None else Booking._meta.pk.to_python(existing),
        holding=holding,
        top=top,
    )
