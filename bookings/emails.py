"""Every mail: subject, text and HTML templates rendered by one function."""

from __future__ import annotations

import logging
from datetime import datetime
from email.header import Header
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from bookings.calendar_file import booking_ics
from bookings.models import Booking, MailKind, OutgoingMail, Status
from bookings.tokens import CANCEL, CONFIRM, make_token, stored_token, token_hash
from offices.services import office_today

log = logging.getLogger(__name__)


def link(path: str) -> str:
    return f"{settings.MADOGUCHI_BASE_URL}{path}"


def link_token(booking: Booking, purpose: str) -> str:
    """The token whose hash the booking keeps, under SECRET_KEY or one of its fallbacks."""
    field = "confirm_token_hash" if purpose == CONFIRM else "cancel_token_hash"
    stored = getattr(booking, field)
    token = stored_token(salt=booking.token_salt, purpose=purpose, stored_hash=stored)
    if token is None:
        # Made under a key no longer configured (retired from SECRET_KEY_FALLBACKS too soon):
        # issue the link anew under the current key rather than mail one that cannot work.
        log.warning("booking %s: %s link made under a retired key; issued anew", booking.pk, purpose)
        token = make_token(salt=booking.token_salt, purpose=purpose)
        Booking.objects.filter(pk=booking.pk, **{field: stored}).update(**{field: token_hash(token)})
        setattr(booking, field, token_hash(token))
    return token


def confirm_url(booking: Booking) -> str:
    return link(f"/b/confirm/{link_token(booking, CONFIRM)}")


def cancel_url(booking: Booking) -> str:
    return link(f"/b/cancel/{link_token(booking, CANCEL)}")


def confirmed_on_the_day(booking: Booking) -> bool:
    """R7: confirmed on the day of the consultation (office time), when the link can no longer cancel."""
    if booking.confirmed_at is None:
        return False
    return booking.confirmed_at.astimezone(booking.office.tz).date() == booking.local_start.date()


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
        context["check_url"] = link("/check/")  # R14: the camera and microphone self-check
    if kind == MailKind.COMPLETION:
        context["same_day"] = confirmed_on_the_day(booking)
    if kind == MailKind.ALREADY_BOOKED:
        context.update(booking_on_file(booking, now=timezone.now()))
    return context


def booking_on_file(booking: Booking, *, now: datetime) -> dict[str, object]:
    """SPEC §6 "Who is known": what the owner of the booking on file can do with it now.

    The links are the booking's own: tokens are derived from its salt (bookings.tokens), so
    the notice carries the same links as the confirmation and completion mails.
    """
    if booking.status_at(now) == Status.PENDING:
        return {
            "pending": True,
            "confirm_url": confirm_url(booking),
            "confirm_by": booking.display_times(booking.language)["confirm_by"],
        }
    if office_today(booking.office, now=now) < booking.local_start.date():
        return {"pending": False, "cancel_url": cancel_url(booking)}
    return {"pending": False}  # R7: on the day, only by phone


def render_plain(name: str, context: dict[str, object]) -> str:
    """A subject or text part: plain text, so `A&B` stays `A&B` (no HTML escaping)."""
    template = get_template(name).template  # type: ignore[attr-defined]  # the engine's own Template
    return template.render(Context(context, autoescape=False))


class Mail(EmailMultiAlternatives):
    """Django's message with a Subject folded as mail readers expect it.

    Django encodes a non-ASCII subject without knowing the header's name, so the first
    encoded word is too long for the line after "Subject: " and the header starts with an
    empty line; Python's own parser (and some readers) then show a subject that starts with a
    space. Encoding it with the name makes the first line fit.
    """

    def message(self, **kwargs: Any) -> Any:
        msg = super().message(**kwargs)
        subject = str(self.subject)
        if not subject.isascii():
            folded = Header(subject, self.encoding or settings.DEFAULT_CHARSET, header_name="Subject")
            msg.replace_header("Subject", folded)  # type: ignore[arg-type]  # the compat32 message takes a Header
        return msg


def render_mail(mail: OutgoingMail) -> EmailMultiAlternatives:
    booking = mail.booking
    with translation.override(booking.language):
        context = mail_context(booking, mail.kind)
        base = f"bookings/email/{mail.kind}"
        subject = render_plain(f"{base}.subject.txt", context)
        text = render_plain(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    message = Mail(
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
