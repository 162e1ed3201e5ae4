"""The error envelope of SPEC §6."""

from __future__ import annotations

from django.http import JsonResponse

from bookings.errors import BookingError, RateLimited


def error_response(error: BookingError) -> JsonResponse:
    body: dict[str, object] = {"code": error.code, "message": str(error.message)}
    if error.code == "invalid":
        body["fields"] = error.fields
    response = JsonResponse({"error": body}, status=error.status, json_dumps_params={"ensure_ascii": False})
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)  # SPEC §6: seconds until the window ends
    return response
