"""Public pages: office list, calendar, booking form, email links, terms."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections import OrderedDict
from datetime import date, datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from bookings import errors, services
from bookings.answers import HoldAnswer, booking_request, decoy_answer
from bookings.forms import BookingForm
from bookings.models import Booking, Status
from bookings.selectors import SlotAvailability, slot_availability
from madoguchi import ratelimits
from madoguchi.access_records import record_now
from madoguchi.dates import format_date, format_datetime, format_day_in_month, format_month, format_slot
from offices.models import Office, TermsVersion
from offices.services import coming_terms, current_terms, office_today
from offices.terms import terms_by_version

SLOT_KEY = "%Y%m%dT%H%M"

log = logging.getLogger(__name__)


def _language() -> str:
    return (translation.get_language() or "ja")[:2]


def office_list(request: HttpRequest) -> HttpResponse:
    return render(request, "front/office_list.html", {"offices": Office.objects.all()})


def _by_month(office: Office, slots: list[SlotAvailability], *, today: date) -> list[dict[str, object]]:
    """The calendar as months of days of slots, so that it reads with real headings (SPEC §7)."""
    language = _language()
    # One reverse() for the page, not one per slot ({% url %} for each was half its time).
    # Office codes are lower case, so the upper-case placeholder cannot occur in one.
    book_url = reverse("front:book", args=[office.code, "SLOT"])
    days: OrderedDict[date, list[dict[str, object]]] = OrderedDict()
    for item in slots:
        local = item.slot.start.astimezone(office.tz)
        key = local.strftime(SLOT_KEY)
        days.setdefault(local.date(), []).append(
            {
                "time": f"{local:%H:%M}",
                "end": f"{item.slot.end.astimezone(office.tz):%H:%M}",
                "key": key,
                "url": book_url.replace("/SLOT/", f"/{key}/"),
                "remaining": item.remaining,
                "full": item.is_full,
            }
        )
    months: OrderedDict[tuple[int, int], list[dict[str, object]]] = OrderedDict()
    for day, day_slots in days.items():
        months.setdefault((day.year, day.month), []).append(
            {
                "date": day,
                "label": format_date(day, language),
                "short": format_day_in_month(day, language),
                "weekday": day.weekday(),
                "today": day == today,
                "slots": day_slots,
            }
        )
    return [
        {
            "id": f"m{year}{month:02d}",
            "label": format_month(date(year, month, 1), language),
            "days": month_days,
        }
        for (year, month), month_days in months.items()
    ]


def office_page(request: HttpRequest, code: str) -> HttpResponse:
    office = get_object_or_404(Office, code=code)
    now = timezone.now()
    slots = slot_availability(office, now=now)
    today = office_today(office, now=now)
    terms = current_terms(office, today=today)
    return render(
        request,
        "front/office.html",
        {
            "office": office,
            # Built only when the calendar is not in the fragment cache (the template calls it).
            "months": lambda: _by_month(office, slots, today=today),
            "calendar_key": _calendar_key(office, slots, today=today),
            "terms": terms,
            "upcoming_terms": coming_terms(office, today=today),
        },
    )


def _calendar_key(office: Office, slots: list[SlotAvailability], *, today: date) -> str:
    """Everything the rendered calendar depends on, seats left included, as one digest.

    The calendar is kept in the fragment cache under this key: rows counted afresh for each
    request give a new key as soon as a seat is taken or given back, so a kept calendar can
    never show a seat that is gone; it only saves rendering the same rows twice.
    """
    rows = [(a.slot.start.isoformat(), a.slot.end.isoformat(), a.remaining) for a in slots]
    facts = (office.pk, office.code, office.timezone, _language(), today.isoformat(), rows)
    return hashlib.sha256(repr(facts).encode()).hexdigest()


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
        "upcoming_terms": coming_terms(office, today=office_today(office, now=now)),
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
        try:
            ratelimits.hit_address(ratelimits.BOOK, request, now=now)  # every POST; one bucket with the API
        except errors.RateLimited as exc:
            return rate_limited(request, exc)
        if request.POST.get(HONEYPOT):
            # Only a program fills the field people cannot see: a hold's answer, nothing kept or sent.
            # Logged (without what was typed) so that staff would notice if people ever fell in.
            log.info("booking form: honeypot filled, nothing kept (office %s)", office.code)
            email = str(request.POST.get("email", ""))[:254]
            return _answered(
                request, decoy_answer(office=office, start=found.start, end=found.end, email=email, now=now)
            )
        if form.is_valid() and request.POST.get("terms_version") != terms.version:
            # R4/R12: consent counts only for the text the person was shown.
            problem = errors.TermsChanged()
            form = BookingForm({k: v for k, v in request.POST.items() if k != "agree_terms"})
            form.is_valid()
        elif form.is_valid():
            try:
                # SPEC §6 "Who is known": the same answer whether or not a seat was taken.
                answer = booking_request(
                    office=office,
                    start=found.start,
                    applicant=form.applicant(),
                    language=_language(),
                    now=now,
                    origin=ratelimits.origin_of(request),
                    # R10: the access record, in the hold's own transaction (answered by a redirect).
                    record=functools.partial(record_now, request, status=302, office_id=office.pk),
                )
            except errors.Invalid:
                return render(request, "front/slot_gone.html", context, status=409)
            except errors.RateLimited as exc:
                return rate_limited(request, exc)
            except errors.BookingError as exc:
                problem = exc
            else:
                return _answered(request, answer)
    context.update({"form": form, "problem": problem})
    status = 200 if problem is None and not form.errors else 422
    if problem is not None:
        status = problem.status
    return render(request, "front/book.html", context, status=status)


# The honeypot: a field people never see or reach (front/book.html); programs fill it. Its
# name is one no browser's autofill knows (a field called "website" gets filled for people).
HONEYPOT = "leave_this_blank"


def rate_limited(request: HttpRequest, error: errors.RateLimited) -> HttpResponse:
    minutes = max(1, -(-error.retry_after // 60))
    response = render(request, "front/rate_limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(error.retry_after)  # SPEC §6
    return response


def _answered(request: HttpRequest, answer: HoldAnswer) -> HttpResponse:
    # The page after a hold shows what the person typed, never what is on file (SPEC §6).
    request.session["held_booking"] = {
        "office": answer.office.code,
        "start": answer.start.isoformat(),
        "end": answer.end.isoformat(),
        "expires_at": answer.expires_at.isoformat(),
        "email": answer.email,
    }
    return redirect("front:sent")


def sent(request: HttpRequest) -> HttpResponse:
    held = request.session.get("held_booking")
    office = Office.objects.filter(code=held.get("office")).first() if isinstance(held, dict) else None
    if office is None:
        return redirect("front:office_list")
    assert isinstance(held, dict)
    tz, language = office.tz, _language()
    start, end = (datetime.fromisoformat(held[k]).astimezone(tz) for k in ("start", "end"))
    return render(
        request,
        "front/sent.html",
        {
            "booking": {"email": held["email"]},
            "office": office,
            "when": format_slot(start, end, language),
            "confirm_by": format_datetime(
                datetime.fromisoformat(held["expires_at"]).astimezone(tz), language
            ),
        },
    )


def _booking_context(booking: Booking) -> dict[str, object]:
    return {"booking": booking, "office": booking.office, **booking.display_times(_language())}


# The token in the path is the capability: whoever can post here already holds the link, so a
# CSRF check adds nothing. And it would refuse every real browser: these pages answer with
# Referrer-Policy: no-referrer (SPEC §5), so chromium posts their forms with `Origin: null`.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    # SPEC §5: GET only shows; the button's POST acts.
    now = timezone.now()
    try:
        if request.method == "POST":
            ratelimits.hit_address(ratelimits.CONFIRM, request, now=now)  # one bucket with the API
        booking = services.find_by_confirm_token(token)
        before = booking.status
        if request.method == "POST":
            booking = services.booking_confirm(token=token, now=now)
    except errors.NotFound:
        return render(request, "front/link_unknown.html", status=404)
    except errors.RateLimited as exc:
        return rate_limited(request, exc)
    except errors.Expired:
        booking = services.find_by_confirm_token(token)
    context = _booking_context(booking)
    context["state"] = booking.status_at(now)
    # Only the press that confirmed it says "confirmed"; a link opened again says since when.
    context["just_confirmed"] = request.method == "POST" and before == Status.PENDING
    return render(request, "front/confirm.html", context)


@csrf_exempt  # as confirm: the token is the capability, and the form posts with Origin: null
@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    problem = None
    try:
        if request.method == "POST":
            ratelimits.hit_address(ratelimits.CANCEL, request, now=now)  # one bucket with the API
        booking = services.find_by_cancel_token(token)
        before = booking.status
        if request.method == "POST":
            booking = services.booking_cancel(token=token, now=now)
        elif booking.status != Status.CANCELLED:
            services.check_link_cancellable(booking, now=now)
    except errors.NotFound:
        return render(request, "front/link_unknown.html", status=404)
    except errors.RateLimited as exc:
        return rate_limited(request, exc)
    except (errors.SameDay, errors.NotCancellable) as exc:
        problem = exc
    context = _booking_context(booking)
    just_cancelled = (
        request.method == "POST" and before != Status.CANCELLED and booking.status == Status.CANCELLED
    )
    context.update({"state": booking.status_at(now), "problem": problem, "just_cancelled": just_cancelled})
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


def self_check(request: HttpRequest) -> HttpResponse:
    # R14: the camera and microphone are tried in the browser only (front/static/front/check.js);
    # the page records nothing and sends nothing, so the view has nothing to do but show it.
    return render(request, "front/check.html")
