"""CSV export of an office's bookings (SPEC §9): for Excel in Japan, safe to open."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bookings.models import Booking
from console.access import office_page as office_view
from console.audit import audit
from console.models import AuditAction
from console.views.day import day_bounds
from offices.models import Office

MAX_DAYS = 400
COLUMNS = [
    "start",
    "end",
    "status",
    "name",
    "email",
    "phone",
    "jobseeker_number",
    "support",
    "note",
    "staff_note",
    "cancelled_by",
    "created_at",
    "confirmed_at",
    "meeting_url",
    "terms_version",
]
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _local(moment: datetime | None, office: Office) -> str:
    return moment.astimezone(office.tz).isoformat(timespec="minutes") if moment else ""


def row_of(booking: Booking, office: Office, now: datetime) -> list[str]:
    values = [
        _local(booking.start, office),
        _local(booking.end, office),
        booking.status_at(now),
        booking.name,
        booking.email,
        booking.phone,
        booking.jobseeker_number,
        "yes" if booking.support else "",
        booking.note,
        booking.staff_note,
        booking.cancelled_by,
        _local(booking.created_at, office),
        _local(booking.confirmed_at, office),
        booking.meeting_url,
        booking.terms.version,
    ]
    return [neutralise(str(v)) for v in values]


def _parse(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


@office_view()
def export_csv(request: HttpRequest, office: Office) -> HttpResponse:
    first, last = _parse(request.GET.get("from")), _parse(request.GET.get("to"))
    problem = None
    if first is None or last is None:
        problem = _("期間を from=YYYY-MM-DD&to=YYYY-MM-DD の形で指定してください。")
    elif last < first:
        problem = _("終了日が開始日より前になっています。")
    elif (last - first).days >= MAX_DAYS:
        problem = _("一度に出力できるのは400日分までです。期間を分けてください。")
    if problem is not None or first is None or last is None:
        return render(
            request, "console/export_error.html", {"office": office, "problem": problem}, status=400
        )
    now = timezone.now()
    start, _end = day_bounds(office, first)
    _start, end = day_bounds(office, last)
    bookings = list(
        Booking.objects.filter(office=office, start__gte=start, start__lt=end)
        .select_related("terms")
        .order_by("start", "created_at")
    )
    audit(
        request,
        office=office,
        action=AuditAction.EXPORT,
        target=f"{first.isoformat()}..{last.isoformat()}",
        records=len(bookings),
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for booking in bookings:
        writer.writerow(row_of(booking, office, now))
    # UTF-8 with a BOM, so that Excel in Japan reads it as UTF-8 rather than Shift_JIS.
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    name = f"{office.code}_{first:%Y%m%d}-{last:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
