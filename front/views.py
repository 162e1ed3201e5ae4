"""Public pages: office list, calendar, booking form, email links, terms."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from bookings import errors, services
from bookings.forms import BookingForm
from bookings.models import Booking, Status
from bookings.selectors import SlotAvailability, slot_availability
from madoguchi.dates import format_date, format_slot
from offices.models import Office, TermsVersion
from offices.services import current_terms, office_today
from offices.terms import next_terms, terms_by_version

SLOT_KEY = "%Y%m%dT%H%M"


def _language() -> str:
    return (translation.get_language() or "ja")[:2]


def office_list(request: HttpRequest) -> HttpResponse:
    return render(request, "front/office_list.html", {"offices": Office.objects.all()})


def _by_day(office: Office, slots: list[SlotAvailability]) -> list[dict[str, object]]:
    days: OrderedDict[date, list[dict[str, object]]] = OrderedDict()
    for item in slots:
        local = item.slot.start.astimezone(office.tz)
        days.setdefault(local.date(), []).append(
            {
                "time": f"{local:%H:%M}",
                "end": f"{item.slot.end.astimezone(office.tz):%H:%M}",
                "key": local.strftime(SLOT_KEY),
                "remaining": item.remaining,
                "full": item.is_full,
            }
        )
    return [
        {"date": day, "label": format_date(day, _language()), "weekday": day.weekday(), "slots": s}
        for day, s in days.items()
    ]


def office_page(request: HttpRequest, code: str) -> HttpResponse:
    office = get_object_or_404(Office, code=code)
    now = timezone.now()
    slots = slot_availability(office, now=now)
    return render(
        request,
        "front/office.html",
        {
            "office": office,
            "days": _by_day(office, slots),
            "terms": current_terms(office, today=office_today(office, now=now)),
            "upcoming_terms": next_terms(office, today=office_today(office, now=now)),
        },
    )


def _slot_start(office: Office, key: str) -> datetime:
    try:
        naive = datetime.strptime(key, SLOT_KEY)
    except ValueError:
        raise Http404 from None
    return naive.replace(tzinfo=office.tz)


def _open_slot(office: Office, start: datetime, *, now: datetime) -> SlotAvailability | None:
    """The bookable slot starting at `start`, with its seats left; None if there is none."""
    day = start.astimezone(office.tz).date()
    for item in slot_availability(office, now=now, first=day, last=day):
        if item.slot.start == start:
            return item
    return None


@require_http_methods(["GET", "POST"])
@ratelimit(key="madoguchi.clientip.ratelimit_key", rate="20/h", method="POST", block=False)
def book(request: HttpRequest, code: str, slot: str) -> HttpResponse:
    office = get_object_or_404(Office, code=code)
    now = timezone.now()
    start = _slot_start(office, slot)
    available = _open_slot(office, start, now=now)
    terms = current_terms(office, today=office_today(office, now=now))
    context: dict[str, object] = {
        "office": office,
        "terms": terms,
        "text": terms.text_for(_language()) if terms else None,
        "upcoming_terms": next_terms(office, today=office_today(office, now=now)),
    }
    if available is None or terms is None:
        return render(request, "front/slot_gone.html", context, status=404)
    found = available.slot
    context["when"] = format_slot(
        found.start.astimezone(office.tz), found.end.astimezone(office.tz), _language()
    )
    if request.method == "GET" and available.is_full:
        # Say so now rather than after the person has typed everything in.
        context["full"] = True
        return render(request, "front/slot_gone.html", context, status=409)
    form = BookingForm(request.POST or None)
    problem: errors.BookingError | None = None
    if request.method == "POST":
        if getattr(request, "limited", False):
            problem = errors.RateLimited()
        elif form.is_valid() and request.POST.get("terms_version") != terms.version:
            # R4/R12: consent counts only for the text the person was shown.
            problem = errors.TermsChanged()
            form = BookingForm({k: v for k, v in request.POST.items() if k != "agree_terms"})
            form.is_valid()
        elif form.is_valid():
            try:
                booking = services.booking_hold(
                    office=office,
                    start=found.start,
                    applicant=form.applicant(),
                    language=_language(),
                    now=now,
                )
            except errors.Invalid:
                return render(request, "front/slot_gone.html", context, status=409)
            except errors.BookingError as exc:
                problem = exc
            else:
                request.session["held_booking"] = str(booking.pk)
                return redirect("front:sent")
    context.update({"form": form, "problem": problem})
    status = 200 if problem is None and not form.errors else 422
    if problem is not None:
        status = problem.status
    return render(request, "front/book.html", context, status=status)


def sent(request: HttpRequest) -> HttpResponse:
    booking_id = request.session.get("held_booking")
    booking = Booking.objects.select_related("office").filter(pk=booking_id).first() if booking_id else None
    if booking is None:
        return redirect("front:office_list")
    return render(request, "front/sent.html", _booking_context(booking))


def _booking_context(booking: Booking) -> dict[str, object]:
    return {"booking": booking, "office": booking.office, **booking.display_times(_language())}


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    # SPEC §5: GET only shows; the button's POST acts.
    now = timezone.now()
    try:
        booking = services.find_by_confirm_token(token)
        if request.method == "POST":
            booking = services.booking_confirm(token=token, now=now)
    except errors.NotFound:
        return render(request, "front/link_unknown.html", status=404)
    except errors.Expired:
        booking = services.find_by_confirm_token(token)
    context = _booking_context(booking)
    context["state"] = booking.status_at(now)
    return render(request, "front/confirm.html", context)


@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    problem = None
    try:
        booking = services.find_by_cancel_token(token)
        if request.method == "POST":
            booking = services.booking_cancel(token=token, now=now)
        elif booking.status != Status.CANCELLED:
            services.check_link_cancellable(booking, now=now)
    except errors.NotFound:
        return render(request, "front/link_unknown.html", status=404)
    except (errors.SameDay, errors.NotCancellable) as exc:
        problem = exc
    context = _booking_context(booking)
    context.update({"state": booking.status_at(now), "problem": problem})
    return render(request, "front/cancel.html", context)


def terms(request: HttpRequest, code: str) -> HttpResponse:
    office = get_object_or_404(Office, code=code)
    version = request.GET.get("v")
    shown: TermsVersion | None
    if version:
        shown = terms_by_version(office, version)
    else:
        shown = current_terms(office, today=office_today(office, now=timezone.now()))
    if shown is None:
        raise Http404
    return render(
        request, "front/terms.html", {"office": office, "terms": shown, "text": shown.text_for(_language())}
    )
