"""JSON API v1 (SPEC §6). Views parse, call one service, and render."""

from __future__ import annotations

import functools
import json
import logging
import re
from datetime import UTC, date, datetime
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from api.errors import error_response
from api.openapi import openapi_document
from bookings import errors, services
from bookings.answers import booking_request
from bookings.forms import bind_json
from bookings.normalize import has_control_characters
from bookings.selectors import slot_availability
from madoguchi import ratelimits
from madoguchi.access_records import record_now
from offices.models import Office
from offices.services import office_by_code

DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# The shape of Office.code: anything else names no office, and is never sent to the
# database (PostgreSQL refuses a NUL in a query parameter with an error, not a miss).
OFFICE_CODE = re.compile(r"[a-z0-9-]{1,64}", re.ASCII)


log = logging.getLogger(__name__)


def _json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _iso(moment: datetime, office: Office) -> str:
    return moment.astimezone(office.tz).isoformat()


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = request.body
    except RequestDataTooBig:  # over DATA_UPLOAD_MAX_MEMORY_SIZE (SPEC §6: 413 too_large)
        raise errors.TooLarge() from None
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        raise errors.Invalid(_("リクエスト本文が正しいJSONではありません。")) from None
    if not isinstance(data, dict):
        raise errors.Invalid(_("リクエスト本文はJSONオブジェクトにしてください。"))
    return data


def api_view(view):  # type: ignore[no-untyped-def]
    """Turn domain errors into the error envelope."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except errors.BookingError as error:
            return error_response(error)
        except Exception:
            log.exception("unexpected error in %s", view.__name__)
            return error_response(errors.ServerError())

    return wrapped


@csrf_exempt
@api_view
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    raise errors.NotFound()


def allow(*methods: str):  # type: ignore[no-untyped-def]
    """Like require_http_methods, but the 405 answer has the error envelope too."""

    def decorator(view):  # type: ignore[no-untyped-def]
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error_response(errors.MethodNotAllowed())
                response["Allow"] = ", ".join(methods)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@csrf_exempt
@allow("GET", "HEAD")
@api_view
def offices(request: HttpRequest) -> JsonResponse:
    return _json(
        [
            {"code": o.code, "name": o.name, "phone": o.phone, "timezone": o.timezone}
            for o in Office.objects.all()
        ]
    )


def _office(code: str) -> Office:
    office = office_by_code(code) if OFFICE_CODE.fullmatch(code) else None
    if office is None:
        raise errors.NotFound(_("その窓口は見つかりません。"))
    return office


def _date_param(request: HttpRequest, name: str) -> date | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return None
    # SPEC §6: exactly YYYY-MM-DD (fromisoformat alone also takes week dates like 2026-W49-2).
    if not DATE.fullmatch(raw):
        return _bad_date(name)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return _bad_date(name)


def _bad_date(name: str) -> date:
    raise errors.Invalid(fields={name: [_("日付は YYYY-MM-DD の形で指定してください。")]})


@csrf_exempt
@allow("GET", "HEAD")
@api_view
def office_slots(request: HttpRequest, code: str) -> JsonResponse:
    office = _office(code)
    first, last = _date_param(request, "from"), _date_param(request, "to")
    if first and last and first > last:
        raise errors.Invalid(fields={"to": [_("終了日は開始日以降の日付にしてください。")]})
    now = timezone.now()
    return _json(
        {
            "office": office.code,
            "slots": [
                {
                    "start": _iso(a.slot.start, office),
                    "end": _iso(a.slot.end, office),
                    "capacity": a.slot.capacity,
                    "remaining": a.remaining,
                }
                for a in slot_availability(office, now=now, first=first, last=last)
            ],
        }
    )


def _start_param(value: Any) -> datetime:
    problem = {"start": [_("開始日時を 2026-12-01T17:15:00+09:00 のような形で指定してください。")]}
    # A trailing NUL would slip through fromisoformat, which stops reading at it.
    if not isinstance(value, str) or len(value) > 40 or has_control_characters(value):
        raise errors.Invalid(fields=problem)
    try:
        start = datetime.fromisoformat(value)
        if start.tzinfo is None:
            raise ValueError("no offset")
        return start.astimezone(UTC)  # also refuses years that overflow in UTC
    except (ValueError, OverflowError):
        raise errors.Invalid(fields=problem) from None


@csrf_exempt
@allow("POST")
@api_view
def bookings_create(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    ratelimits.hit_address(ratelimits.BOOK, request, now=now)  # every POST, valid or not
    data = _body(request)
    code = data.get("office")
    if not isinstance(code, str) or not code or has_control_characters(code):
        raise errors.Invalid(fields={"office": [_("窓口のコードを指定してください。")]})
    office = _office(code)
    form, problems = bind_json(data)
    start = None
    try:
        start = _start_param(data.get("start"))
    except errors.Invalid as exc:
        problems.update(exc.fields)
    if not form.is_valid() or problems:
        fields = {k: [str(m) for m in v] for k, v in form.errors.items()}
        fields.update(problems)
        raise errors.Invalid(fields=fields)
    assert start is not None
    # SPEC §6 "Who is known": the same answer whether or not a seat was taken.
    answer = booking_request(
        office=office,
        start=start,
        applicant=form.applicant(),
        language=translation.get_language() or "ja",
        now=now,
        origin=ratelimits.origin_of(request),
        # R10: the access record, in the hold's own transaction.
        record=functools.partial(record_now, request, status=201, office_id=office.pk),
    )
    return _json(
        {"id": answer.id, "status": answer.status, "expires_at": _iso(answer.expires_at, office)},
        status=201,
    )


def _token(request: HttpRequest) -> str:
    token = _body(request).get("token")
    if not isinstance(token, str) or not token:
        raise errors.NotFound()
    return token


@csrf_exempt
@allow("POST")
@api_view
def bookings_confirm(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    ratelimits.hit_address(ratelimits.CONFIRM, request, now=now)
    booking = services.booking_confirm(token=_token(request), now=now)
    return _json(
        {
            "id": str(booking.pk),
            "status": "confirmed",
            "start": _iso(booking.start, booking.office),
            "meeting_url": booking.meeting_url,
        }
    )


@csrf_exempt
@allow("POST")
@api_view
def bookings_cancel(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    ratelimits.hit_address(ratelimits.CANCEL, request, now=now)
    booking = services.booking_cancel(token=_token(request), now=now)
    return _json({"id": str(booking.pk), "status": booking.status})


@csrf_exempt
@allow("GET", "HEAD")
def openapi(request: HttpRequest) -> JsonResponse:
    return _json(openapi_document())
