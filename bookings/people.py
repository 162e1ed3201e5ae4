"""People at an office (R9): finding them, their history, and refusals.

A person is whoever shares a normalised email or phone with a booking
(SPEC §6), so a history gathers every booking matched by either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext as _

from bookings import errors
from bookings.forms import JOBSEEKER_NUMBER
from bookings.models import Booking, Refusal, Status
from bookings.normalize import clean_number, clean_text, email_key
from offices.models import Office

PHONE_LIKE = re.compile(r"^\+?[\d\-() ]{6,}$")


@dataclass(frozen=True)
class Person:
    email_key: str
    phone_key: str

    def matches(self) -> Q:
        # An anonymised booking (R11) has neither key and matches nobody, itself included.
        keys = Q(pk__in=[])
        if self.email_key:
            keys |= Q(email_key=self.email_key)
        if self.phone_key:
            keys |= Q(phone_key=self.phone_key)
        return keys


def search_filter(query: str) -> Q | None:
    """What staff typed, normalised like the booking form: email, phone, job-seeker number or name."""
    text = clean_text(query)
    if not text:
        return None
    # Names match with or without the space between family and given name.
    found = Q(name__icontains=text) | Q(name_compact__icontains=re.sub(r"\s+", "", text))
    if "@" in text:
        found |= Q(email_key=email_key(text))
    number = clean_number(text)
    if match := JOBSEEKER_NUMBER.match(number):
        found |= Q(jobseeker_number=f"{match[1]}-{match[2]}")
    if PHONE_LIKE.match(number):
        try:
            phone = phonenumbers.parse(number, "JP")
        except phonenumbers.NumberParseException:
            phone = None
        if phone is not None and phonenumbers.is_valid_number(phone):
            found |= Q(phone_key=phonenumbers.format_number(phone, phonenumbers.PhoneNumberFormat.E164))
    return found


def search_bookings(office: Office, query: str, *, limit: int = 100) -> list[Booking]:
    found = search_filter(query)
    if found is None:
        return []
    bookings = Booking.objects.annotate(name_compact=Replace("name", Value(" "), Value("")))
    return list(bookings.filter(found, office=office).order_by("-start")[:limit])


def person_of(booking: Booking) -> Person:
    return Person(email_key=booking.email_key, phone_key=booking.phone_key)


@dataclass
class History:
    person: Person
    bookings: list[Booking]
    refusals: list[Refusal]
    counts: dict[str, int]
    corrections: int

    @property
    def refusal_in_force(self) -> Refusal | None:
        return next((r for r in self.refusals if r.in_force), None)


def person_history(office: Office, person: Person, *, now: datetime) -> History:
    """Every booking of the person at the office, newest first, with what staff did to each."""
    bookings = list(
        Booking.objects.filter(person.matches(), office=office)
        .prefetch_related("events__by")
        .order_by("-start")
    )
    refusals = list(refusals_of(office, person).select_related("decided_by", "lifted_by"))
    counts = {status: 0 for status in Status.values}
    for booking in bookings:
        counts[booking.status_at(now)] += 1
    corrections = sum(event.is_correction for booking in bookings for event in booking.events.all())
    return History(
        person=person, bookings=bookings, refusals=refusals, counts=counts, corrections=corrections
    )


def refusals_of(office: Office, person: Person) -> QuerySet[Refusal]:
    return Refusal.objects.filter(person.matches(), office=office)


def refuse_person(
    *, office: Office, person: Person, name: str, reason: str, by: User, now: datetime
) -> Refusal:
    """R9: a member of staff decides, with a reason, that the person may no longer book online."""
    reason = reason.strip()
    if not reason:
        raise errors.Invalid(fields={"reason": [_("理由を入力してください。")]})
    with transaction.atomic():
        Office.objects.select_for_update().get(pk=office.pk)  # one decision at a time per office
        existing = refusals_of(office, person).filter(lifted_at__isnull=True).first()
        if existing is not None:
            return existing
        return Refusal.objects.create(
            office=office,
            email_key=person.email_key,
            phone_key=person.phone_key,
            name=name,
            reason=reason,
            created_at=now,
            decided_by=by,
        )


def lift_refusal(*, refusal: Refusal, reason: str, by: User, now: datetime) -> Refusal:
    """R9: lifting is a decision too, with its reason and who made it."""
    reason = reason.strip()
    if not reason:
        raise errors.Invalid(fields={"reason": [_("理由を入力してください。")]})
    updated = Refusal.objects.filter(pk=refusal.pk, lifted_at__isnull=True).update(
        lifted_at=now, lifted_by=by, lift_reason=reason
    )
    refusal.refresh_from_db()
    if not updated and refusal.lifted_at is None:
        raise errors.NotFound()
    return refusal
