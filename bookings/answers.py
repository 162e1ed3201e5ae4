"""What a person is told after asking for a hold, from the form or the API (SPEC §6).

A known person (one who already holds a booking at the office, or is refused there) and a
filled honeypot get the same answer as a real hold: 201 with an id, "pending" and the expiry,
or the same "check your email" page.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bookings import errors
from bookings.forms import Applicant
from bookings.models import Status
from bookings.services import booking_hold, confirm_window
from offices.models import Office


@dataclass(frozen=True)
class HoldAnswer:
    """What the person is told after asking for a hold (SPEC §6: 201 id/status/expires_at)."""

    id: str
    office: Office
    start: datetime
    end: datetime
    expires_at: datetime
    email: str  # as typed
    status: str = Status.PENDING


def decoy_answer(*, office: Office, start: datetime, end: datetime, email: str, now: datetime) -> HoldAnswer:
    """The answer of a hold that was not made: a fresh random id of the same shape as a real
    one (UUID4, like Booking.id), stored nowhere, so it neither names a booking nor stands out."""
    return HoldAnswer(
        id=str(uuid.uuid4()),
        office=office,
        start=start,
        end=end,
        expires_at=min(now + confirm_window(), start),
        email=email,
    )


def booking_request(
    *,
    office: Office,
    start: datetime,
    applicant: Applicant,
    language: str,
    now: datetime,
    origin: str = "",
    record: Callable[[], object] | None = None,
) -> HoldAnswer:
    """The public way to ask for a hold (form and API): a known person gets a hold's answer.

    `record` goes to booking_hold: written in the hold's transaction (the access record, R10).
    """
    try:
        booking = booking_hold(
            office=office,
            start=start,
            applicant=applicant,
            language=language,
            now=now,
            origin=origin,
            record=record,
        )
    except errors.KnownPerson as known:
        return decoy_answer(office=office, start=known.start, end=known.end, email=applicant.email, now=now)
    return HoldAnswer(
        id=str(booking.pk),
        office=office,
        start=booking.start,
        end=booking.end,
        expires_at=booking.expires_at,
        email=booking.email,
    )
