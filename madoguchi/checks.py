"""Deployment checks of our own (SPEC §3), run by `check --deploy` and before `serve` starts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error

MAIL_KEPT_ON_DISK = (
    "EMAIL_HOST is not set while DEBUG is off: mail (confirmation links, names, addresses) "
    "would pile up in the dev mailbox on disk instead of reaching anyone."
)
MAIL_HINT = (
    "Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS as the "
    "relay needs) to your SMTP relay. For a development machine, set DEBUG=1 instead."
)


def check_mail_relay(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """SPEC §3: with DEBUG off and no EMAIL_HOST the site refuses to start (madoguchi.E201)."""
    if not settings.DEBUG and not settings.EMAIL_HOST:
        return [Error(MAIL_KEPT_ON_DISK, hint=MAIL_HINT, id="madoguchi.E201")]
    return []
