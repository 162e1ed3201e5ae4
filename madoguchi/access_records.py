"""Access records (R10): the public booking endpoints and staff logins, with the device.

The middleware writes one console.AccessRecord per request to a booking, confirm or cancel
endpoint (form and API; opening a link is an access too) and per staff login attempt, once
the response is known. A token is never stored (SPEC §5, §8): paths are decoded, then
redacted, and the office is found from the booking the token names. Writing a record never
breaks the request it describes.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.urls import ResolverMatch
from django.utils import timezone

from bookings import errors
from bookings.models import Booking
from bookings.normalize import has_control_characters
from bookings.services import find_by_cancel_token, find_by_confirm_token
from console.models import AccessKind, AccessRecord
from madoguchi.clientip import client_ip
from madoguchi.logging import redact
from offices.models import Office

log = logging.getLogger(__name__)

PATH_LENGTH = 500
USER_AGENT_LENGTH = 300
# Larger bodies are not parsed for the office or token: a record is not worth the memory.
BODY_LIMIT = 64 * 1024
# C0 and C1 controls, lone surrogates, and the bidirectional overrides that could make a user
# agent read as something else on the staff's records page (bookings.normalize refuses the same).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
REDACTED = "[redacted]"
# Set on the request by the login signals, written by the middleware with the response.
LOGIN_ATTRIBUTE = "_madoguchi_staff_login"
# When the request began (the record's time), and the record already written by record_now.
AT_ATTRIBUTE = "_madoguchi_access_at"
WRITTEN_ATTRIBUTE = "_madoguchi_access_record"


def stored_path(path: str, *, token: str | None = None) -> str:
    """The path as it may be stored: fully percent-decoded, then without tokens.

    Decoding first means `/b/%63onfirm/…` or a token spelt with %-escapes is redacted too.
    Each round of unquote shortens the text or leaves it alone, so the loop ends.
    """
    while (decoded := unquote(path)) != path:
        path = decoded
    return _clean(redact(path), token)[:PATH_LENGTH]


def _clean(text: str, token: str | None) -> str:
    if token:
        text = text.replace(token, REDACTED)
    return CONTROL.sub("?", text)


@dataclass(frozen=True)
class Found:
    office_id: int | None = None
    token: str | None = None  # only to scrub it from whatever else is stored


# The shape of Office.code: anything else (a NUL, a lone surrogate) is not sent to the database.
OFFICE_CODE = re.compile(r"[a-z0-9-]{1,64}", re.ASCII)


def _office_named(code: Any) -> int | None:
    if not isinstance(code, str) or not OFFICE_CODE.fullmatch(code):
        return None
    return Office.objects.filter(code=code).values_list("pk", flat=True).first()


def _office_of_token(token: Any, find: Callable[[str], Booking]) -> Found:
    if not isinstance(token, str) or not token:
        return Found()
    try:
        return Found(office_id=find(token).office_id, token=token)
    except errors.NotFound:
        return Found(token=token)


def _body_field(request: HttpRequest, name: str) -> Any:
    """A field of the JSON body, if the body is a small JSON object (the view has read it)."""
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > BODY_LIMIT:
            return None
        body = request.body
    except (ValueError, RawPostDataException, RequestDataTooBig, OSError):
        return None
    if len(body) > BODY_LIMIT:
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data.get(name) if isinstance(data, dict) else None


def _form_booking(request: HttpRequest, match: ResolverMatch) -> Found:
    return Found(office_id=_office_named(match.kwargs.get("code")))


def _confirm_link(request: HttpRequest, match: ResolverMatch) -> Found:
    return _office_of_token(match.kwargs.get("token"), find_by_confirm_token)


def _cancel_link(request: HttpRequest, match: ResolverMatch) -> Found:
    return _office_of_token(match.kwargs.get("token"), find_by_cancel_token)


def _api_booking(request: HttpRequest, match: ResolverMatch) -> Found:
    return Found(office_id=_office_named(_body_field(request, "office")))


def _api_confirm(request: HttpRequest, match: ResolverMatch) -> Found:
    return _office_of_token(_body_field(request, "token"), find_by_confirm_token)


def _api_cancel(request: HttpRequest, match: ResolverMatch) -> Found:
    return _office_of_token(_body_field(request, "token"), find_by_cancel_token)


@dataclass(frozen=True)
class Endpoint:
    kind: str
    find: Callable[[HttpRequest, ResolverMatch], Found]
    methods: frozenset[str] | None = None  # None: every method


# The recorded views, by the dotted name of the view function: whatever their URL, and nothing
# else. Names, not the functions themselves, so that the views can use this module (record_now)
# without an import cycle; tests/console/test_access_records.py checks each name is a routed view.
ENDPOINTS: dict[str, Endpoint] = {
    # The form page itself (GET) is browsing; sending it is the booking.
    "front.views.book": Endpoint(AccessKind.BOOKING, _form_booking, frozenset({"POST"})),
    "front.views.confirm": Endpoint(AccessKind.CONFIRM, _confirm_link),
    "front.views.cancel": Endpoint(AccessKind.CANCEL, _cancel_link),
    "api.views.bookings_create": Endpoint(AccessKind.BOOKING, _api_booking),
    "api.views.bookings_confirm": Endpoint(AccessKind.CONFIRM, _api_confirm),
    "api.views.bookings_cancel": Endpoint(AccessKind.CANCEL, _api_cancel),
}


def view_name(view: Callable[..., Any]) -> str:
    return f"{view.__module__}.{view.__qualname__}"


def endpoint_of(request: HttpRequest) -> Endpoint | None:
    match = request.resolver_match
    return None if match is None else ENDPOINTS.get(view_name(match.func))


@dataclass(frozen=True)
class StaffLogin:
    kind: str
    user: Any = None
    attempted: str = ""


@receiver(user_logged_in, dispatch_uid="madoguchi.access_records.logged_in")
def _logged_in(sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any) -> None:
    if request is not None:
        setattr(request, LOGIN_ATTRIBUTE, StaffLogin(AccessKind.STAFF_LOGIN, user=user))


@receiver(user_login_failed, dispatch_uid="madoguchi.access_records.login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any] | None = None, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Also sent for a locked-out username (django-axes denies inside authenticate()).
    if request is not None:
        attempted = (credentials or {}).get(get_user_model().USERNAME_FIELD)
        attempted = attempted if isinstance(attempted, str) else ""
        setattr(request, LOGIN_ATTRIBUTE, StaffLogin(AccessKind.STAFF_LOGIN_FAILED, attempted=attempted))


def _account(login: StaffLogin) -> tuple[Any, str]:
    """The account of a login attempt and its username.

    A failed attempt keeps the username only when it names an account: a name that matches
    no account is often a password typed into the wrong field, and no office could be shown it.
    """
    if login.user is not None:
        return login.user, login.user.get_username()
    if not login.attempted or has_control_characters(login.attempted):
        return None, ""
    accounts = get_user_model()
    user = accounts._default_manager.filter(**{accounts.USERNAME_FIELD: login.attempted}).first()
    return user, (user.get_username() if user is not None else "")


def _ip_address(request: HttpRequest) -> str | None:
    address = client_ip(request).split("%", 1)[0]  # no IPv6 zone: the database's inet refuses it
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def record_access(request: HttpRequest, response: HttpResponse, *, at: datetime) -> AccessRecord | None:
    """Write the record of this request, if it is one that R10 asks to record."""
    written: AccessRecord | None = getattr(request, WRITTEN_ATTRIBUTE, None)
    if written is not None and (
        # Answered otherwise than the record says: its transaction was rolled back (a full slot,
        # say), and the record is written afresh below; or the answer failed after the hold was
        # made, and the record (never changed, like every record) stands for the request.
        written.status_code == response.status_code or AccessRecord.objects.filter(pk=written.pk).exists()
    ):
        return written
    login: StaffLogin | None = getattr(request, LOGIN_ATTRIBUTE, None)
    match = request.resolver_match
    endpoint = endpoint_of(request)
    if login is not None:
        kind, found = login.kind, Found()
        user, username = _account(login)
    elif endpoint is not None and match is not None:
        if endpoint.methods is not None and request.method not in endpoint.methods:
            return None
        kind, found = endpoint.kind, endpoint.find(request, match)
        user, username = None, ""
    else:
        return None
    with transaction.atomic():
        return _write(
            request, kind=kind, status=response.status_code, found=found, user=user, username=username, at=at
        )


def record_now(request: HttpRequest, *, status: int, office_id: int) -> None:
    """Write the record of this booking request now, inside the caller's transaction, as
    answered with `status`.

    The booking endpoints have it called inside the hold's transaction (booking_hold's
    `record`), so that the hold and its record are one write. The middleware then writes
    nothing more, unless that transaction was rolled back (a full slot, say): then it writes
    the record again, with the answer given. A failed write is logged and raised: the hold's
    transaction is then no longer usable, and booking_hold takes the seat without the record.
    """
    endpoint = endpoint_of(request)
    if endpoint is None or (endpoint.methods is not None and request.method not in endpoint.methods):
        return
    at = getattr(request, AT_ATTRIBUTE, None) or timezone.now()
    try:
        # No savepoint: booking_hold begins its transaction again without us if this fails.
        record = _write(request, kind=endpoint.kind, status=status, found=Found(office_id=office_id), at=at)
    except Exception as exc:
        log.error("access record not written: %s", type(exc).__name__)
        raise  # and the middleware tries again once the answer is known
    setattr(request, WRITTEN_ATTRIBUTE, record)


def _write(
    request: HttpRequest,
    *,
    kind: str,
    status: int,
    found: Found,
    at: datetime,
    user: Any = None,
    username: str = "",
) -> AccessRecord:
    return AccessRecord.objects.create(
        at=at,
        kind=kind,
        method=(request.method or "")[:10],
        path=stored_path(request.path, token=found.token),
        status_code=status,
        ip_address=_ip_address(request),
        user_agent=_clean(redact(request.headers.get("User-Agent", "")), found.token)[:USER_AGENT_LENGTH],
        office_id=found.office_id,
        user=user,
        username=username[:150],
    )


class AccessRecords:
    """R10, for every request; near the front of the chain, so that it sees the final status code."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        at = timezone.now()
        setattr(request, AT_ATTRIBUTE, at)
        response = self.get_response(request)
        try:
            record_access(request, response, at=at)
        except Exception as exc:  # noqa: BLE001 - a lost record must not become a lost request
            # The type only: a message or traceback could quote what was being written.
            log.error("access record not written: %s", type(exc).__name__)
        return response
