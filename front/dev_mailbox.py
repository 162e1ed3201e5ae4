"""/dev/mailbox/: read the mails kept locally while DEBUG is on.

The list and the message page show times in the site's zone (Asia/Tokyo), not the UTC of
the Date header. A mail's HTML part is served at its own address under
`Content-Security-Policy: sandbox` and shown in an <iframe>, so whatever it holds cannot run
script or reach this site's cookies; attachments (the .ics) download as they were sent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from bookings.mailbox import mailbox_dir

NAME = re.compile(r"^[0-9a-f]{16,40}\.eml$")

# The HTML part may be shown inside this site only, and may do nothing but draw itself.
HTML_PART_POLICY = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"
)


def _require_debug() -> None:
    if not settings.DEBUG:
        raise Http404


def _read(name: str) -> EmailMessage:
    if not NAME.match(name):
        raise Http404
    path = mailbox_dir() / name
    if not path.exists():
        raise Http404
    with path.open("rb") as fh:
        return BytesParser(policy=policy.default).parse(fh)  # type: ignore[return-value]


def _sent_at(message: EmailMessage) -> datetime | None:
    """The Date header as an aware datetime; the template shows it in local time."""
    try:
        sent = parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):
        return None
    # Django writes "-0000" (UTC, local zone not given), which parses as naive.
    return sent if sent.tzinfo else sent.replace(tzinfo=UTC)


def mailbox(request: HttpRequest) -> HttpResponse:
    _require_debug()
    files = sorted(mailbox_dir().glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)
    mails = []
    for path in files[:200]:
        message = _read(path.name)
        mails.append(
            {
                "name": path.name,
                "to": message["To"],
                "subject": message["Subject"],
                "sent_at": _sent_at(message),
            }
        )
    return render(request, "front/dev_mailbox.html", {"mails": mails})


def mailbox_message(request: HttpRequest, name: str) -> HttpResponse:
    _require_debug()
    message = _read(name)
    text = message.get_body(preferencelist=("plain",))
    content = text.get_content() if text else ""
    attachments = [
        {
            "index": index,
            "filename": part.get_filename() or f"attachment-{index}",
            "type": part.get_content_type(),
        }
        for index, part in enumerate(message.iter_attachments())
    ]
    return render(
        request,
        "front/dev_mailbox_message.html",
        {
            "name": name,
            "subject": message["Subject"],
            "to": message["To"],
            "sent_at": _sent_at(message),
            "text": content,
            "has_html": message.get_body(preferencelist=("html",)) is not None,
            "attachments": attachments,
            "links": re.findall(r"https?://\S+", content),
        },
    )


@xframe_options_sameorigin
def mailbox_html(request: HttpRequest, name: str) -> HttpResponse:
    """The HTML part, sandboxed: no script, no forms, no same-origin access."""
    _require_debug()
    part = _read(name).get_body(preferencelist=("html",))
    if part is None:
        raise Http404
    response = HttpResponse(part.get_content(), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = HTML_PART_POLICY
    return response


def mailbox_attachment(request: HttpRequest, name: str, index: int) -> HttpResponse:
    """An attachment as it was sent (the .ics as text/calendar), to open in a calendar app."""
    _require_debug()
    parts = list(_read(name).iter_attachments())
    if index >= len(parts):
        raise Http404
    part = parts[index]
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    response = HttpResponse(data, content_type=part.get_content_type())
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", part.get_filename() or f"attachment-{index}")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
