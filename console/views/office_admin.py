"""Office administration (R3, R12, SPEC §9): closures, capacity and slot rules, terms versions.

Every change that would touch a booking is shown first and done only when
the administrator confirms, so nothing is dropped silently.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from bookings import errors
from bookings.closures import bookings_hit, closure_add, closure_remove
from bookings.models import Booking, holds_seat
from console.access import office_page as office_view
from console.access import staff_user
from console.audit import audit
from console.forms import ClosureForm, OfficeTimetableForm, SlotRuleFormSet, TermsVersionForm
from console.models import AuditAction, Role
from madoguchi.dates import format_date
from offices.models import Closure, Office, TermsVersion
from offices.national_holidays import national_holidays
from offices.schedule import SlotRule, slots_between
from offices.services import horizon_last_day, office_today
from offices.terms import next_terms, terms_in_force


@require_http_methods(["GET", "POST"])
@office_view(role=Role.OFFICE_ADMIN)
def closures(request: HttpRequest, office: Office) -> HttpResponse:
    now = timezone.now()
    today = office_today(office, now=now)
    form = ClosureForm(request.POST or None, today=today)
    hit: list[Booking] = []
    if request.method == "POST" and form.is_valid():
        day, reason = form.cleaned_data["date"], form.cleaned_data["reason"]
        hit = list(bookings_hit(office, day, now=now))
        if hit and request.POST.get("confirm") != "yes":
            # Show who would be affected before anything changes; this lists names (R11).
            audit(
                request, office=office, action=AuditAction.DAY_VIEW, target=f"closure {day}", records=len(hit)
            )
        else:
            try:
                cancelled = closure_add(
                    office=office, day=day, reason=reason, now=now, by=staff_user(request)
                )
            except errors.Invalid as exc:
                for field, problems in exc.fields.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                messages.success(
                    request,
                    str(
                        _(
                            "%(day)s を閉庁日にしました。取り消した予約：%(n)d 件（お知らせメールを送ります）。"
                        )
                    )
                    % {"day": format_date(day, get_language() or "ja"), "n": len(cancelled)},
                )
                return redirect("console:closures", office=office.code)
    upcoming = office.closures.filter(date__gte=today).order_by("date")
    return render(
        request,
        "console/closures.html",
        {"office": office, "form": form, "hit": hit, "closures": upcoming, "today": today},
    )


@require_POST
@office_view(role=Role.OFFICE_ADMIN)
def closure_delete(request: HttpRequest, office: Office, closure_id: int) -> HttpResponse:
    closure = get_object_or_404(Closure, pk=closure_id, office=office)
    closure_remove(closure=closure)
    messages.success(
        request, str(_("%(day)s の閉庁を取り消しました。枠は再び予約できます。")) % {"day": closure.date}
    )
    return redirect("console:closures", office=office.code)


def bookings_outside(office: Office, rules: list[SlotRule], capacity: int, *, now: datetime) -> list[Booking]:
    """Active bookings that a new timetable would leave without their slot or seat."""
    today = office_today(office, now=now)
    last = max(horizon_last_day(office, now=now), today)
    held = list(
        Booking.objects.filter(holds_seat(now), office=office, start__gt=now).order_by("start", "created_at")
    )
    if held:
        last = max(last, max(b.local_start.date() for b in held))
    slots = {
        slot.start: slot.capacity
        for slot in slots_between(
            rules=rules,
            first=today,
            last=last,
            tz=office.tz,
            capacity=capacity,
            holidays=national_holidays(today, last),
            closures=office.closed_dates(today, last),
        )
    }
    outside: list[Booking] = []
    taken: dict[datetime, int] = {}
    for booking in held:
        taken[booking.start] = taken.get(booking.start, 0) + 1
        if booking.start not in slots or taken[booking.start] > slots[booking.start]:
            outside.append(booking)
    return outside


@require_http_methods(["GET", "POST"])
@office_view(role=Role.OFFICE_ADMIN)
def timetable(request: HttpRequest, office: Office) -> HttpResponse:
    now = timezone.now()
    form = OfficeTimetableForm(request.POST or None, instance=office)
    rules = SlotRuleFormSet(request.POST or None, instance=office, prefix="rules")
    outside: list[Booking] = []
    if request.method == "POST" and form.is_valid() and rules.is_valid():
        new_rules = [
            f.instance.as_rule()
            for f in rules.forms
            if f not in rules.deleted_forms and (f.instance.pk or f.has_changed())
        ]
        outside = bookings_outside(office, new_rules, form.cleaned_data["capacity"], now=now)
        if outside and request.POST.get("confirm") != "yes":
            audit(
                request,
                office=office,
                action=AuditAction.DAY_VIEW,
                target="timetable change",
                records=len(outside),
            )
        else:
            with transaction.atomic():
                form.save()
                saved = rules.save(commit=False)
                for obj in rules.deleted_objects:
                    obj.delete()
                for position, obj in enumerate(saved):
                    obj.position = position
                    obj.save()
            messages.success(request, str(_("枠と席数を保存しました。")))
            return redirect("console:timetable", office=office.code)
    return render(
        request,
        "console/timetable.html",
        {
            "office": office,
            "form": form,
            "rules": rules,
            "outside": outside,
            "today": office_today(office, now=now),
        },
    )


@require_http_methods(["GET", "POST"])
@office_view(role=Role.OFFICE_ADMIN)
def terms_versions(request: HttpRequest, office: Office) -> HttpResponse:
    now = timezone.now()
    today = office_today(office, now=now)
    form = TermsVersionForm(request.POST or None, office=office, today=today)
    if request.method == "POST" and form.is_valid():
        version = form.save(commit=False)
        version.office = office
        version.save()
        messages.success(
            request,
            str(_("利用規約 %(version)s を公開しました。%(date)s から新しい予約に適用されます。"))
            % {
                "version": version.version,
                "date": format_date(version.effective_date, get_language() or "ja"),
            },
        )
        return redirect("console:terms_versions", office=office.code)
    return render(
        request,
        "console/terms_versions.html",
        {
            "office": office,
            "form": form,
            "current": terms_in_force(office, today=today),
            "upcoming": next_terms(office, today=today),
            "versions": TermsVersion.objects.filter(office=office).order_by("-effective_date", "-pk"),
            "today": today,
        },
    )
