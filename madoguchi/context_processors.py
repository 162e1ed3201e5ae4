"""Facts every public page may state, taken from the settings rather than typed in."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import ngettext


def duration_text(seconds: int) -> str:
    """3600 → 「1時間」 / "1 hour"; 5400 → 「90分」 / "90 minutes"."""
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(n)d時間", "%(n)d時間", hours) % {"n": hours}
    minutes = max(seconds // 60, 1)
    return ngettext("%(n)d分", "%(n)d分", minutes) % {"n": minutes}


def booking_rules(request: HttpRequest) -> dict[str, str]:
    # R5: the confirmation window, as the booking pages describe it.
    return {"confirm_window": duration_text(settings.MADOGUCHI_CONFIRM_WINDOW_SECONDS)}
