"""Small helpers for booking tests: a valid applicant, a hold, the raw link tokens."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bookings.answers import HoldAnswer, booking_request
from bookings.forms import Applicant, BookingForm
from bookings.models import Booking, OutgoingMail
from bookings.services import booking_confirm, booking_hold
from bookings.tokens import CANCEL, CONFIRM, make_token
from offices.models import Office, SlotRuleRow, TermsVersion

PERSON: dict[str, Any] = {
    "name": "山田 太郎",
    "email": "taro@example.jp",
    "phone": "090-1234-5678",
    "agree_terms": "on",
}
OTHER: dict[str, Any] = {
    "name": "佐藤 花子",
    "email": "hanako@example.jp",
    "phone": "080-9876-5432",
    "agree_terms": "on",
}


def applicant(**fields: Any) -> Applicant:
    form = BookingForm(data={**PERSON, **fields})
    assert form.is_valid(), form.errors
    return form.applicant()


def hold(office: Office, start: datetime, *, now: datetime, language: str = "ja", **fields: Any) -> Booking:
    return booking_hold(office=office, start=start, applicant=applicant(**fields), language=language, now=now)


def ask(office: Office, start: datetime, *, now: datetime, language: str = "ja", **fields: Any) -> HoldAnswer:
    """A hold asked for the public way (form and API): a known person gets a hold's answer."""
    return booking_request(
        office=office, start=start, applicant=applicant(**fields), language=language, now=now
    )


def confirm_token(booking: Booking) -> str:
    return make_token(salt=booking.token_salt, purpose=CONFIRM)


def cancel_token(booking: Booking) -> str:
    return make_token(salt=booking.token_salt, purpose=CANCEL)


def confirm(booking: Booking, *, now: datetime) -> Booking:
    return booking_confirm(token=confirm_token(booking), now=now)


def mails_of(booking: Booking) -> list[str]:
    return list(OutgoingMail.objects.filter(booking=booking).values_list("kind", flat=True))


def second_office(code: str = "second-office") -> Office:
    """Another office with Tuesday slots, for rules that hold per office."""
    office = Office.objects.create(
        code=code,
        name="ハローワーク第二",
        phone="03-0000-0000",
        timezone="Asia/Tokyo",
        capacity=1,
        horizon_days=60,
        meeting_url="https://meet.example.org/fixed-room",
    )
    SlotRuleRow.objects.create(office=office, weekdays=["tue"], times=["17:15"], minutes=30)
    TermsVersion.objects.create(
        office=office, version="1", effective_date=date(2020, 1, 1), title="規約", body="本文"
    )
    return office
