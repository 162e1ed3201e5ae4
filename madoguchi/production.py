"""What a production process needs before it may start: one SECRET_KEY shared by every node."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_MISSING = (
    "SECRET_KEY is not set. With DEBUG off it is required, and every app node and worker of "
    "a deployment must have the same value (links mailed by one node are opened on another). "
    "Make one with `python -c 'import secrets; print(secrets.token_urlsafe(50))'`; when "
    "replacing a key, put the old one in SECRET_KEY_FALLBACKS. For a development machine, "
    "set DEBUG=1 instead (`make run` does)."
)


def secret_key_missing() -> bool:
    # settings.SECRET_KEY itself raises when empty; read the raw value.
    return not settings.DEBUG and not getattr(settings._wrapped, "SECRET_KEY", "")  # type: ignore[misc]


def require_secret_key() -> None:
    """Refuse to start a server or worker without a shared key in production."""
    if secret_key_missing():
        raise ImproperlyConfigured(SECRET_KEY_MISSING)


def check_secret_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A system check (`manage.py check --deploy`): the same refusal, as madoguchi.E101."""
    if secret_key_missing():
        return [Error(SECRET_KEY_MISSING, id="madoguchi.E101")]
    return []
