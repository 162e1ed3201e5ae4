"""The error envelope of SPEC §6."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from bookings.errors import BookingError, RateLimited


def error_response(error: BookingError) -> JsonResponse:
    body: dict[str, object] = {"code": error.code, "message": str(error.message)}
    if error.code == "invalid":
        body["fields"] = error.fields
    return JsonResponse({"error": body}, status=error.status, json_dumps_params={"ensure_ascii": False})


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_response(RateLimited())
