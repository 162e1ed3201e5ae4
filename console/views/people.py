"""Finding a person, their history at the office, and refusals (R9, R11)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from bookings import errors
from bookings.models import Booking, Refusal
from bookings.people import lift_refusal, person_history, person_of, refuse_person, search_bookings
from console.access import office_page as office_view
from console.access import staff_user
from console.audit import audit
from console.models import AuditAction
from console.views.day import Shown
from offices.models import Office


@require_http_methods(["GET", "POST"])
@office_view()
def search(request: HttpRequest, office: Office) -> HttpResponse:
    # POST keeps what was typed (an email, a phone number) out of URLs and access logs.
    query = request.POST.get("q", "").strip()[:200] if request.method == "POST" else ""
    results = None
    if query:
        results = search_bookings(office, query)
        audit(request, office=office, action=AuditAction.SEARCH, target=query, records=len(results))
    return render(request, "console/search.html", {"office": office, "query": query, "results": results})


@office_view()
def person(request: HttpRequest, office: Office, booking_id: str) -> HttpResponse:
    """Everything the office knows of the person behind this booking, to decide on a refusal."""
    booking = get_object_or_404(Booking, pk=booking_id, office=office)
    now = timezone.now()
    history = person_history(office, person_of(booking), now=now)
    audit(
        request,
        office=office,
        action=AuditAction.PERSON,
        target=f"booking {booking.pk}",
        records=len(history.bookings) + len(history.refusals),
    )
    return render(
        request,
        "console/person.html",
        {
            "office": office,
            "booking": booking,
            "history": history,
            "rows": [Shown.at(b, now) for b in history.bookings],
        },
    )


@require_POST
@office_view()
def refuse(request: HttpRequest, office: Office, booking_id: str) -> HttpResponse:
    booking = get_object_or_404(Booking, pk=booking_id, office=office)
    try:
        refuse_person(
            office=office,
            person=person_of(booking),
            name=booking.name,
            reason=request.POST.get("reason", "")[:1000],
            by=staff_user(request),
            now=timezone.now(),
        )
    except errors.Invalid:
        messages.error(request, str(_("利用をお断りする理由を入力してください。")))
    else:
        messages.success(
            request, str(_("%(name)s さんのオンライン予約をお断りにしました。")) % {"name": booking.name}
        )
    return redirect("console:person", office=office.code, booking_id=booking.pk)


@require_POST
@office_view()
def lift(request: HttpRequest, office: Office, refusal_id: int) -> HttpResponse:
    refusal = get_object_or_404(Refusal, pk=refusal_id, office=office)
    try:
        lift_refusal(
            refusal=refusal,
            reason=request.POST.get("reason", "")[:1000],
            by=staff_user(request),
            now=timezone.now(),
        )
    except errors.Invalid:
        messages.error(request, str(_("お断りを解除する理由を入力してください。")))
    else:
        messages.success(request, str(_("お断りを解除しました。")))
    back = request.POST.get("back", "")
    if back and Booking.objects.filter(pk=back, office=office).exists():
        return redirect("console:person", office=office.code, booking_id=back)
    return redirect("console:refusals", office=office.code)


@office_view()
def refusals(request: HttpRequest, office: Office) -> HttpResponse:
    rows = list(Refusal.objects.filter(office=office).select_related("decided_by", "lifted_by"))
    for row in rows:
        # The newest booking of the person, for a link to their history.
        matches = Booking.objects.filter(office=office)
        keys = []
        if row.email_key:
            keys.append(matches.filter(email_key=row.email_key))
        if row.phone_key:
            keys.append(matches.filter(phone_key=row.phone_key))
        latest = None
        for query in keys:
            found = query.order_by("-start").first()
            if found and (latest is None or found.start > latest.start):
                latest = found
        row.latest_booking = latest  # type: ignore[attr-defined]
    audit(request, office=office, action=AuditAction.REFUSALS, target="", records=len(rows))
    return render(request, "console/refusals.html", {"office": office, "rows": rows})
