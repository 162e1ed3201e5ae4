"""The rules an office and its timetable must follow, in one place.

Each validator raises ValidationError for a value that would otherwise be
saved and then break the office's pages. They are attached to the model
fields, so Django's admin (and any ModelForm) refuses bad input with a field
error, and `load_offices` runs the same field validators on its file.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from offices.schedule import WEEKDAYS

SEATS = (1, 50)  # seats per slot, for an office and for a rule of its timetable
HORIZON_DAYS = (1, 366)
MINUTES = (5, 240)
NTH = (1, 5)  # the 1st … 5th such weekday of a month
# A booking's link is stored in 500 characters, and {room} grows to a
# 24-character id: the template must leave room for it.
MEETING_URL_MAX_LENGTH = 480
ROOM = "{room}"

_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_HTTP_URL = URLValidator(schemes=["https", "http"])


def _is_whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(values: list[Any]) -> str:
    """The offending entries, as the person wrote them."""

    def one(value: Any) -> str:
        if isinstance(value, str):
            return value
        try:
            return json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):  # a TOML time or date, say
            return str(value)

    return ", ".join(one(v) for v in values)


def validate_timezone(value: Any) -> None:
    try:
        if not isinstance(value, str) or not value:
            raise ValueError(value)
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia" is a folder: IsADirectoryError
        raise ValidationError(
            _(
                "「%(value)s」というタイムゾーンはありません。"
                "「Asia/Tokyo」のような IANA のタイムゾーン名を入力してください。"
            ),
            code="unknown_timezone",
            params={"value": value},
        ) from None


def validate_meeting_url(value: Any) -> None:
    """A fixed http(s) link, or a template whose {room} becomes an id per booking."""
    if not isinstance(value, str):
        raise ValidationError(
            _("https:// または http:// で始まるURLを入力してください。"), code="invalid_url"
        )
    if len(value) > MEETING_URL_MAX_LENGTH:
        raise ValidationError(
            _("会議リンクは%(limit)d文字以内で入力してください（現在%(length)d文字です）。"),
            code="meeting_url_too_long",
            params={"limit": MEETING_URL_MAX_LENGTH, "length": len(value)},
        )
    url = value.replace(ROOM, "room")
    try:
        _HTTP_URL(url)
    except ValidationError:
        raise ValidationError(
            _("https:// または http:// で始まるURLを入力してください。"), code="invalid_url"
        ) from None
    if ROOM in urlsplit(value).netloc:
        raise ValidationError(
            _(
                "{room} はホスト名には使えません。"
                "https://meet.example.org/room/{room} のように、URLのパスに入れてください。"
            ),
            code="room_in_host",
        )


def validate_weekdays(value: Any) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(
            _('曜日は ["tue", "thu"] のようなリストで入力してください。'), code="weekdays_not_a_list"
        )
    bad = [d for d in value if not isinstance(d, str) or d not in WEEKDAYS]
    if bad:
        raise ValidationError(
            _("「%(value)s」は曜日として使えません。%(days)s の中から選んでください。"),
            code="unknown_weekday",
            params={"value": _shown(bad), "days": ", ".join(WEEKDAYS)},
        )


def validate_nth(value: Any) -> None:
    """Which weekdays of the month: [2, 4] for the 2nd and 4th; an empty list for every week."""
    if not isinstance(value, list):
        raise ValidationError(
            _("第何週かは [2, 4] のような数のリストで入力してください。毎週なら [] です。"),
            code="nth_not_a_list",
        )
    low, high = NTH
    bad = [n for n in value if not _is_whole_number(n) or not low <= n <= high]
    if bad:
        raise ValidationError(
            _("「%(value)s」は第何週かとして使えません。%(low)dから%(high)dまでの数を入力してください。"),
            code="unknown_nth",
            params={"value": _shown(bad), "low": low, "high": high},
        )


def validate_times(value: Any) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(
            _('開始時刻は ["17:15", "18:15"] のようなリストで入力してください。'), code="times_not_a_list"
        )
    bad = [t for t in value if not isinstance(t, str) or not _TIME.fullmatch(t)]
    if bad:
        raise ValidationError(
            _("「%(value)s」は時刻として使えません。「17:15」のように24時間制の HH:MM で入力してください。"),
            code="bad_time",
            params={"value": _shown(bad)},
        )


def validate_minutes(value: Any) -> None:
    low, high = MINUTES
    if not _is_whole_number(value) or not low <= value <= high:
        raise ValidationError(
            _("1枠の長さは%(low)d分から%(high)d分までで入力してください（%(value)s は範囲外です）。"),
            code="minutes_out_of_range",
            params={"value": value, "low": low, "high": high},
        )


def validate_seats(value: Any) -> None:
    low, high = SEATS
    if not _is_whole_number(value) or not low <= value <= high:
        raise ValidationError(
            _("席数は%(low)dから%(high)dまでの数で入力してください（%(value)s は範囲外です）。"),
            code="seats_out_of_range",
            params={"value": value, "low": low, "high": high},
        )


def validate_horizon_days(value: Any) -> None:
    low, high = HORIZON_DAYS
    if not _is_whole_number(value) or not low <= value <= high:
        raise ValidationError(
            _("予約受付期間は%(low)d日から%(high)d日までで入力してください（%(value)s は範囲外です）。"),
            code="horizon_out_of_range",
            params={"value": value, "low": low, "high": high},
        )
