"""The dev mailbox: without EMAIL_HOST, mail is kept as .eml files under var/."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


def mailbox_dir() -> Path:
    path = Path(settings.MADOGUCHI_MAILBOX_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


class MailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = mailbox_dir()
        for message in email_messages:
            data = message.message().as_bytes()
            name = f"{time.time_ns():x}{os.urandom(4).hex()}.eml"
            tmp = folder / f".{name}.tmp"
            tmp.write_bytes(data)
            tmp.replace(folder / name)  # whole files only, even on a crash
        return len(email_messages)
