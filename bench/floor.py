"""The floor `make bench` measures madoguchi against: bare views doing only what a correct
answer must, served by the same gunicorn shape, middleware and database as the real views.

They are mounted only by bench/settings.py (DJANGO_SETTINGS_MODULE=bench.settings, set by
the bench's server), never by madoguchi's own URLs.

- POST /bench-floor/bookings: lock the office (FOR UPDATE on PostgreSQL; on SQLite the
  IMMEDIATE transaction holds the write lock), count the slot's active bookings, insert one.
  No form, no rules, no terms, no mail, no access record.
- GET /bench-floor/offices/{code}/slots: the office row and one aggregate of active bookings
  per slot, over a slot list computed once per process and office (never invalidated: a floor
  need not be right when the timetable changes), as the same JSON rows as the API.
- GET /bench-floor/o/{code}/: the same rows as a bare HTML list.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import date, datetime, timedelta
from html import escape

from django.db import connection, transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from bookings.models import Booking, Status, holds_seat
from offices.models import Office, TermsVersion
from offices.schedule import Slot
from offices.services import scheduled_slots

# The floor never looks for the terms in force: it takes any one version, once.
_terms_id: list[int] = []
# Slot lists by (office id, first day, last day), computed once per process.
_slots: dict[tuple[int, date, date], list[Slot]] = {}


def _any_terms_id() -> int:
    if not _terms_id:
        _terms_id.append(TermsVersion.objects.values_list("pk", flat=True).order_by("pk")[0])
    return _terms_id[0]


@csrf_exempt
def book(request: HttpRequest) -> JsonResponse:
    data = json.loads(request.body)
    start = datetime.fromisoformat(data["start"])
    now = timezone.now()
    terms_id = _any_terms_id()
    with transaction.atomic():
        offices = Office.objects.filter(code=data["office"]).values_list("pk", "capacity")
        if connection.features.has_select_for_update:
            offices = offices.select_for_update()
        office_id, capacity = offices.get()
        taken = Booking.objects.filter(holds_seat(now), office_id=office_id, start=start).count()
        if taken >= capacity:
            return JsonResponse({"error": {"code": "slot_full"}}, status=409)
        booking = Booking.objects.create(
            office_id=office_id,
            start=start,
            end=start + timedelta(minutes=30),
            seat=taken + 1,  # nothing is cancelled or expires during a bench run
            name=data["name"],
            email=data["email"],
            email_key=data["email"],
            phone=data["phone"],
            phone_key=data["phone"],
            language="ja",
            terms_id=terms_id,
            created_at=now,
            expires_at=now + timedelta(hours=1),
            token_salt=secrets.token_hex(16),
            confirm_token_hash=uuid.uuid4().hex,
            cancel_token_hash=uuid.uuid4().hex,
        )
    return JsonResponse({"id": str(booking.pk), "status": Status.PENDING}, status=201)


def _rows(code: str) -> tuple[Office, list[tuple[Slot, int]]]:
    office = Office.objects.get(code=code)
    now = timezone.now()
    today = now.astimezone(office.tz).date()
    key = (office.pk, today, today + timedelta(days=office.horizon_days))
    if key not in _slots:
        _slots[key] = scheduled_slots(office, first=key[1], last=key[2])
    slots = [slot for slot in _slots[key] if slot.start > now]
    taken = dict(
        Booking.objects.filter(holds_seat(now), office=office, start__gt=now)
        .values("start")
        .annotate(n=Count("pk"))
        .values_list("start", "n")
    )
    return office, [(slot, max(slot.capacity - taken.get(slot.start, 0), 0)) for slot in slots]


def slots(request: HttpRequest, code: str) -> JsonResponse:
    office, rows = _rows(code)
    tz = office.tz
    return JsonResponse(
        {
            "office": office.code,
            "slots": [
                {
                    "start": slot.start.astimezone(tz).isoformat(),
                    "end": slot.end.astimezone(tz).isoformat(),
                    "capacity": slot.capacity,
                    "remaining": remaining,
                }
                for slot, remaining in rows
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


def page(request: HttpRequest, code: str) -> HttpResponse:
    office, rows = _rows(code)
    tz = office.tz
    items = "".join(
        f"<li>{slot.start.astimezone(tz):%Y-%m-%d %H:%M}–{slot.end.astimezone(tz):%H:%M} {remaining}</li>"
        for slot, remaining in rows
    )
    return HttpResponse(
        f'<!doctype html><html lang="ja"><title>{escape(office.name)}</title>'
        f"<h1>{escape(office.name)}</h1><ul>{items}</ul></html>"
    )


urlpatterns = [
    path("bench-floor/bookings", book),
    path("bench-floor/offices/<str:code>/slots", slots),
    path("bench-floor/o/<slug:code>/", page),
]
