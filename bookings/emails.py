"""Every mail: subject, text and HTML templates rendered by one function."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from bookings.calendar_file import booking_ics
from bookings.models import Booking, MailKind, OutgoingMail
from bookings.tokens import CANCEL, CONFIRM, make_token


def link(path: str) -> str:
    return f"{settings.MADOGUCHI_BASE_URL}{path}"


def confirm_url(booking: Booking) -> str:
    return link(f"/b/confirm/{make_token(salt=booking.token_salt, purpose=CONFIRM)}")


def cancel_url(booking: Booking) -> str:
    return link(f"/b/cancel/{make_token(salt=booking.token_salt, purpose=CANCEL)}")


def mail_context(booking: Booking, kind: str) -> dict[str, object]:
    times = booking.display_times(booking.language)
    context: dict[str, object] = {
        "booking": booking,
        "office": booking.office,
        "when": times["when"],
        "site_url": link("/"),
        "office_url": link(f"/o/{booking.office.code}/"),
    }
    if kind == MailKind.CONFIRM_REQUEST:
        context["confirm_url"] = confirm_url(booking)
        context["confirm_by"] = times["confirm_by"]
    if kind == MailKind.OFFICE_CANCELLATION:
        context["closure"] = booking.office.closures.filter(date=booking.local_start.date()).first()
    if kind in (MailKind.COMPLETION, MailKind.REMINDER):
        context["cancel_url"] = cancel_url(booking)
        context["meeting_url"] = booking.meeting_url
    return context


def render_mail(mail: OutgoingMail) -> EmailMultiAlternatives:
    booking = mail.booking
    with translation.override(booking.language):
        context = mail_context(booking, mail.kind)
        base = f"bookings/email/{mail.kind}"
        subject = render_to_string(f"{base}.subject.txt", context)
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # no newlines in a header
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[booking.email],
        headers={"Message-ID": mail.message_id, "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    if mail.kind == MailKind.COMPLETION:
        message.attach("madoguchi.ics", booking_ics(booking), "text/calendar; method=PUBLISH")
    return message
