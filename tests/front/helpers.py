"""Small helpers for the page tests: a hold made by the service, the raw link tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bookings.forms import BookingForm
from bookings.models import Booking
from bookings.services import booking_confirm, booking_hold
from bookings.tokens import CANCEL, CONFIRM, make_token
from offices.models import Office

PERSON: dict[str, Any] = {
    "name": "山田 太郎",
    "email": "taro@example.jp",
    "phone": "090-1234-5678",
    "agree_terms": "on",
    "terms_version": "demo-1",  # the demo terms shown on the form
}


def hold(office: Office, start: datetime, *, now: datetime, **fields: Any) -> Booking:
    form = BookingForm(data={**PERSON, **fields})
    assert form.is_valid(), form.errors
    return booking_hold(office=office, start=start, applicant=form.applicant(), language="ja", now=now)


def confirmed(office: Office, start: datetime, *, now: datetime, **fields: Any) -> Booking:
    booking = hold(office, start, now=now, **fields)
    return booking_confirm(token=confirm_token(booking), now=now)


def confirm_token(booking: Booking) -> str:
    return make_token(salt=booking.token_salt, purpose=CONFIRM)


def cancel_token(booking: Booking) -> str:
    return make_token(salt=booking.token_salt, purpose=CANCEL)


def page(response: Any) -> str:
    return response.content.decode()
