"""Error answers: the site's own pages, and the JSON envelope of SPEC §6 under /api/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults

from api.errors import error_response
from bookings import errors


class BadRequest(errors.BookingError):
    code, status = "bad_request", 400


class Forbidden(errors.BookingError):
    code, status = "forbidden", 403
    message = _("この操作は許可されていません。")


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_response(BadRequest())
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_response(Forbidden())
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_response(errors.NotFound())
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Nothing here may need the database: the fault may be the database.
    if _is_api(request):
        return error_response(errors.ServerError())
    return defaults.server_error(request)
