"""Filters for text people read: one date style per language, and Japanese marked as Japanese.

{% load site_text %}
{{ terms.effective_date|day }}          2023年10月2日（月） / Mon 2 October 2023
{{ booking.cancelled_at|moment:office.tz }}   2026年12月1日（火）17:15 / Tue 1 December 2026, 17:15 JST
{{ office|office_name }}                the English name on English pages, else <span lang="ja">…</span>
{{ closure.reason|ja }}                 <span lang="ja">…</span> when Japanese text sits on a page in another language
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from django import template
from django.utils import timezone, translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from madoguchi.dates import format_date, format_datetime, is_japanese

register = template.Library()


def _language() -> str:
    return (translation.get_language() or "ja")[:2]


@register.filter
def day(value: date | datetime | None, zone: tzinfo | None = None) -> str:
    """A calendar date; an aware datetime is first moved into `zone` (default: the site's)."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value, zone).date()
    return format_date(value, _language())


@register.filter
def moment(value: datetime | None, zone: tzinfo | None = None) -> str:
    """A date and time in `zone` (the office's, where the page has an office; default: the site's)."""
    if not value:
        return ""
    return format_datetime(timezone.localtime(value, zone), _language())


@register.filter(is_safe=True)
def ja(value: Any) -> SafeString:
    """Japanese text on a page in another language, marked so that it is read out in Japanese."""
    text = "" if value is None else str(value)
    if _language() != "ja" and is_japanese(text):
        return format_html('<span lang="ja">{}</span>', text)
    return SafeString(conditional_escape(text))


@register.filter(is_safe=True)
def office_name(office: Any) -> SafeString:
    """The office's name for the page's language: `name_en` on English pages, or the Japanese
    name marked `lang="ja"` where the office has no English name."""
    return ja(office.display_name)
