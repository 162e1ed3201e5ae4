"""The counsellor's day (SPEC §9, R7, R8, R13, R15): who comes when, and what happened."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from bookings import errors, services
from bookings.models import SEAT_HOLDING, Booking, Status
from console.access import office_page as office_view
from console.access import offices_for, staff_page, staff_user
from console.audit import audit
from console.models import AuditAction
from madoguchi.dates import format_date
from offices.models import Office
from offices.services import office_today, scheduled_slots
from offices.terms import terms_in_force


def _language() -> str:
    return (translation.get_language() or "ja")[:2]


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Http404 from None


def day_bounds(office: Office, day: date) -> tuple[datetime, datetime]:
    """Midnight to midnight in the office's zone, as UTC instants (DST-safe)."""
    start = datetime.combine(day, time(0), tzinfo=office.tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=office.tz)
    return start, end


@dataclass
class Shown:
    """A booking as the day view shows it at `now`, with the actions open to staff (R7, R8)."""

    booking: Booking
    status: str
    can_attend: bool
    can_no_show: bool
    can_cancel: bool

    @classmethod
    def at(cls, booking: Booking, now: datetime) -> Shown:
        status = booking.status_at(now)
        recorded = status in (Status.CONFIRMED, Status.ATTENDED, Status.NO_SHOW)
        return cls(
            booking=booking,
            status=status,
            can_attend=recorded and now >= booking.start - services.JOIN_EARLY,
            can_no_show=recorded and now >= booking.start,
            can_cancel=status in (Status.PENDING, Status.CONFIRMED) and now < booking.start,
        )

    @property
    def label(self) -> str:
        return str(Status(self.status).label)


@dataclass
class SlotRow:
    start: datetime
    end: datetime
    capacity: int
    scheduled: bool = True
    bookings: list[Shown] = field(default_factory=list)

    @property
    def taken(self) -> int:
        return sum(item.status in SEAT_HOLDING for item in self.bookings)


def slots_of_day(office: Office, day: date, bookings: list[Shown]) -> list[SlotRow]:
    """The day's scheduled slots, each with its bookings; a booking outside them (a closure
    entered after it was made) still shows, in a row of its own."""
    rows = {
        slot.start: SlotRow(start=slot.start, end=slot.end, capacity=slot.capacity)
        for slot in scheduled_slots(office, first=day, last=day)
    }
    for item in bookings:
        start, end = item.booking.start, item.booking.end
        rows.setdefault(start, SlotRow(start=start, end=end, capacity=0, scheduled=False)).bookings.append(
            item
        )
    return [rows[start] for start in sorted(rows)]


@staff_page
def home(request: HttpRequest) -> HttpResponse:
    offices = list(offices_for(request.user))
    if len(offices) == 1:
        return redirect("console:today", office=offices[0].code)
    return render(request, "console/home.html", {"offices": offices})


@office_view()
def today(request: HttpRequest, office: Office) -> HttpResponse:
    day = office_today(office, now=timezone.now())
    return redirect("console:day", office=office.code, day=day.isoformat())


@office_view()
def day_view(request: HttpRequest, office: Office, day: str) -> HttpResponse:
    shown = parse_day(day)
    now = timezone.now()
    first, last = day_bounds(office, shown)
    bookings = list(
        Booking.objects.filter(office=office, start__gte=first, start__lt=last).order_by(
            "start", "created_at"
        )
    )
    # R11: the read is recorded before the page goes out.
    audit(
        request, office=office, action=AuditAction.DAY_VIEW, target=shown.isoformat(), records=len(bookings)
    )
    today = office_today(office, now=now)
    return render(
        request,
        "console/day.html",
        {
            "office": office,
            "day": shown,
            "day_label": format_date(shown, _language()),
            "is_today": shown == today,
            "today": today,
            "previous": shown - timedelta(days=1),
            "next": shown + timedelta(days=1),
            "rows": slots_of_day(office, shown, [Shown.at(booking, now) for booking in bookings]),
            "count": len(bookings),
            "terms": terms_in_force(office, today=shown),
        },
    )


@office_view()
def pick_day(request: HttpRequest, office: Office) -> HttpResponse:
    """The date field of the day view, without JavaScript."""
    return redirect("console:day", office=office.code, day=parse_day(request.GET.get("d", "")).isoformat())


@office_view()
def this_week(request: HttpRequest, office: Office) -> HttpResponse:
    day = office_today(office, now=timezone.now())
    return redirect("console:week", office=office.code, day=day.isoformat())


@office_view()
def week_view(request: HttpRequest, office: Office, day: str) -> HttpResponse:
    """A week at a glance: seats taken per slot, no personal data."""
    shown = parse_day(day)
    monday = shown - timedelta(days=shown.weekday())
    now = timezone.now()
    first, _last = day_bounds(office, monday)
    _first, last = day_bounds(office, monday + timedelta(days=6))
    counts: dict[datetime, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for booking in Booking.objects.filter(office=office, start__gte=first, start__lt=last):
        counts[booking.start][booking.status_at(now)] += 1
    days = []
    for offset in range(7):
        current = monday + timedelta(days=offset)
        slots = []
        for slot in scheduled_slots(office, first=current, last=current):
            c = counts.get(slot.start, {})
            slots.append(
                {
                    "start": slot.start,
                    "capacity": slot.capacity,
                    "confirmed": c.get(Status.CONFIRMED, 0),
                    "pending": c.get(Status.PENDING, 0),
                    "attended": c.get(Status.ATTENDED, 0),
                    "no_show": c.get(Status.NO_SHOW, 0),
                }
            )
        days.append({"date": current, "label": format_date(current, _language()), "slots": slots})
    return render(
        request,
        "console/week.html",
        {
            "office": office,
            "days": days,
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "export_from": monday,
            "export_to": monday + timedelta(days=6),
            "today": office_today(office, now=now),
        },
    )


ACTIONS = {
    "attended": services.mark_attended,
    "no_show": services.mark_no_show,
    "cancel": services.booking_cancel_by_phone,
}
DONE = {
    "attended": _("%(name)s さんを「相談済み」にしました。"),
    "no_show": _("%(name)s さんを「無断欠席」にしました。"),
    "cancel": _(
        "%(name)s さんの予約を電話によるキャンセルとして取り消しました。キャンセルのお知らせメールを送ります。"
    ),
    "note": _("%(name)s さんの予約にメモを保存しました。"),
}


@require_POST
@office_view()
def booking_action(request: HttpRequest, office: Office, booking_id: str, action: str) -> HttpResponse:
    booking = get_object_or_404(Booking.objects.select_related("office"), pk=booking_id, office=office)
    now = timezone.now()
    try:
        if action == "note":
            note = request.POST.get("note", "").strip()[:2000]
            services.booking_note(booking=booking, note=note, now=now, by=staff_user(request))
        elif action in ACTIONS:
            ACTIONS[action](booking=booking, now=now, by=staff_user(request))
        else:
            raise Http404
    except errors.BookingError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, str(DONE[action]) % {"name": booking.name})
    day = booking.start.astimezone(office.tz).date().isoformat()
    return redirect(reverse("console:day", args=[office.code, day]) + f"#b-{booking.pk}")
