"""/dev/mailbox/: read the mails kept locally while DEBUG is on."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from bookings.mailbox import mailbox_dir

NAME = re.compile(r"^[0-9a-f]{16,40}\.eml$")


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


def mailbox(request: HttpRequest) -> HttpResponse:
    _require_debug()
    files = sorted(mailbox_dir().glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)
    mails = []
    for path in files[:200]:
        message = _read(path.name)
        mails.append(
            {"name": path.name, "to": message["To"], "subject": message["Subject"], "date": message["Date"]}
        )
    return render(request, "front/dev_mailbox.html", {"mails": mails})


def mailbox_message(request: HttpRequest, name: str) -> HttpResponse:
    _require_debug()
    message = _read(name)
    text = message.get_body(preferencelist=("plain",))
    attachments = [part.get_filename() for part in message.iter_attachments()]
    return render(
        request,
        "front/dev_mailbox_message.html",
        {
            "message": message,
            "subject": message["Subject"],
            "to": message["To"],
            "text": text.get_content() if text else "",
            "attachments": attachments,
            "links": re.findall(r"https?://\S+", text.get_content() if text else ""),
        },
    )
