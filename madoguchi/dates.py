"""Dates and times as people read them: 2026年12月1日（火）17:15."""

from __future__ import annotations

import re
from datetime import date, datetime

JA_WEEKDAYS = "月火水木金土日"
EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(day: date, language: str) -> str:
    if language.startswith("ja"):
        return f"{day.year}年{day.month}月{day.day}日（{JA_WEEKDAYS[day.weekday()]}）"
    return f"{EN_WEEKDAYS[day.weekday()]} {day.day} {EN_MONTHS[day.month - 1]} {day.year}"


def format_datetime(moment: datetime, language: str) -> str:
    """`moment` must already be in the zone the reader expects (the office's)."""
    if language.startswith("ja"):
        return f"{format_date(moment.date(), language)}{moment:%H:%M}"
    # A reader abroad needs the zone: "Tue 1 December 2026, 17:15 JST".
    return f"{format_date(moment.date(), language)}, {moment:%H:%M}{_zone(moment)}"


def format_slot(start: datetime, end: datetime, language: str) -> str:
    if language.startswith("ja"):
        return f"{format_datetime(start, language)}〜{end:%H:%M}"
    return f"{format_date(start.date(), language)}, {start:%H:%M}–{end:%H:%M}{_zone(start)}"


# Kana, CJK ideographs and full-width forms: text a screen reader should read as Japanese.
JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")


def is_japanese(text: str) -> bool:
    return bool(JAPANESE.search(text))


def _zone(moment: datetime) -> str:
    name = moment.tzname()
    return f" {name}" if name else ""


def format_month(day: date, language: str) -> str:
    """The month heading of the slot calendar: 2026年12月 / December 2026."""
    if language.startswith("ja"):
        return f"{day.year}年{day.month}月"
    return f"{EN_MONTHS[day.month - 1]} {day.year}"


def format_day_in_month(day: date, language: str) -> str:
    """A day under its month heading: 1日（火） / Tue 1."""
    if language.startswith("ja"):
        return f"{day.day}日（{JA_WEEKDAYS[day.weekday()]}）"
    return f"{EN_WEEKDAYS[day.weekday()]} {day.day}"
