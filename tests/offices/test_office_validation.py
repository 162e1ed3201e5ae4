"""An office's time zone, link and timetable follow one set of rules
(offices.validation), whichever way they come in: the admin, load_offices or
a model's full_clean. A value that would break the office's pages is refused
with a field error and nothing is stored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils.html import escape

from offices.models import Office, SlotRuleRow
from offices.validation import (
    validate_horizon_days,
    validate_meeting_url,
    validate_minutes,
    validate_nth,
    validate_seats,
    validate_times,
    validate_timezone,
    validate_weekdays,
)
from tests.bookings.factories import second_office
from tests.console.conftest import pass_second_factor
from tests.offices.test_load_offices import Fault, load, refused, rows, write


@dataclass(frozen=True)
class Bad:
    """A value for a field of the office ("office") or of its first slot rule ("rule")."""

    of: str
    field: str
    value: Any
    fault: Fault

    @property
    def loader_field(self) -> str:
        return self.field if self.of == "office" else f"slots[0].{self.field}"


def bad(of: str, field: str, value: Any, validator: Any) -> Bad:
    return Bad(of, field, value, Fault(validator, value))


BAD_VALUES = {
    "unknown-time-zone": bad("office", "timezone", "Mars/Olympus", validate_timezone),
    "time-zone-folder": bad("office", "timezone", "Asia", validate_timezone),
    "no-seats": bad("office", "capacity", 0, validate_seats),
    "too-many-seats": bad("office", "capacity", 51, validate_seats),
    "no-horizon": bad("office", "horizon_days", 0, validate_horizon_days),
    "ftp-link": bad("office", "meeting_url", "ftp://meet.example.org/kita", validate_meeting_url),
    "unknown-weekday": bad("rule", "weekdays", ["funday"], validate_weekdays),
    "weekday-not-a-list": bad("rule", "weekdays", "tue", validate_weekdays),
    "hour-25": bad("rule", "times", ["25:00"], validate_times),
    "time-without-leading-zero": bad("rule", "times", ["9:00"], validate_times),
    "ninth-week": bad("rule", "nth", [9], validate_nth),
    "zero-minutes": bad("rule", "minutes", 0, validate_minutes),
    "thousand-minutes": bad("rule", "minutes", 1000, validate_minutes),
    "no-seats-in-a-rule": bad("rule", "capacity", 0, validate_seats),
}
CASES = pytest.mark.parametrize("bad", BAD_VALUES.values(), ids=BAD_VALUES.keys())


# The admin ---------------------------------------------------------------------------------------


@pytest.fixture
def staff(admin_client: Client, admin_user) -> Client:
    """A superuser signed in to the admin, second factor included."""
    pass_second_factor(admin_client, admin_user)
    return admin_client


OFFICE_FIELDS = (
    "code",
    "name",
    "name_en",
    "phone",
    "timezone",
    "capacity",
    "horizon_days",
    "meeting_service",
    "meeting_url",
)
RULE_FIELDS = ("position", "weekdays", "nth", "times", "minutes", "capacity")
JSON_FIELDS = ("weekdays", "nth", "times")


def posted(name: str, value: Any) -> str:
    """A value as the browser sends it: the admin shows a JSON field as JSON text."""
    if name in JSON_FIELDS:
        return json.dumps(value)
    return "" if value is None else str(value)


def change_form(office: Office, of: str = "office", **changes: Any) -> dict[str, str]:
    """The POST of the office's change page with its one slot rule, `changes` made to one of them."""
    rule = office.rules.get()
    office_values = {name: getattr(office, name) for name in OFFICE_FIELDS}
    rule_values = {name: getattr(rule, name) for name in RULE_FIELDS}
    (office_values if of == "office" else rule_values).update(changes)
    return {
        **{name: posted(name, value) for name, value in office_values.items()},
        **{f"rules-0-{name}": posted(name, value) for name, value in rule_values.items()},
        "rules-0-id": str(rule.pk),
        "rules-0-office": str(office.pk),
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "1",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        "closures-TOTAL_FORMS": "0",
        "closures-INITIAL_FORMS": "0",
        "closures-MIN_NUM_FORMS": "0",
        "closures-MAX_NUM_FORMS": "1000",
        "_save": "保存",
    }


def change_url(office: Office) -> str:
    return f"/admin/offices/office/{office.pk}/change/"


@CASES
def test_the_admin_refuses_a_value_that_would_break_the_office(db, staff, bad):
    office = second_office()
    before = rows()

    response = staff.post(change_url(office), change_form(office, bad.of, **{bad.field: bad.value}))

    assert response.status_code == 200
    page = response.content.decode()
    assert "errornote" in page
    assert escape(bad.fault.text(settings.LANGUAGE_CODE)) in page
    assert rows() == before


def test_the_admin_still_saves_a_good_edit(db, staff):
    office = second_office()

    data = {
        **change_form(
            office,
            timezone="Europe/London",
            capacity=2,
            horizon_days=90,
            meeting_url="https://meet.example.org/room/{room}",
        ),
        "rules-0-weekdays": '["tue", "thu"]',
        "rules-0-nth": "",  # left blank: every week, as the help text says
        "rules-0-times": '["10:00", "17:15"]',
        "rules-0-minutes": "45",
        "rules-0-capacity": "1",
    }

    response = staff.post(change_url(office), data)

    assert response.status_code == 302
    office.refresh_from_db()
    assert (office.timezone, office.capacity, office.horizon_days, office.meeting_url) == (
        "Europe/London",
        2,
        90,
        "https://meet.example.org/room/{room}",
    )
    rule = office.rules.get()
    assert (rule.weekdays, rule.nth, rule.times, rule.minutes, rule.capacity) == (
        ["tue", "thu"],
        [],
        ["10:00", "17:15"],
        45,
        1,
    )
    assert len(office.slot_rules()) == 1


# load_offices ------------------------------------------------------------------------------------

GOOD_OFFICE = {
    "code": "kita",
    "name": "ハローワーク北",
    "phone": "011-000-0000",
    "timezone": "Asia/Tokyo",
    "capacity": 2,
    "horizon_days": 30,
    "meeting_url": "https://meet.example.org/room/{room}",
}
GOOD_RULE = {"weekdays": ["mon", "wed"], "nth": [], "times": ["10:00"], "minutes": 30, "capacity": 1}


def office_file(of: str = "office", **changes: Any) -> str:
    """An office file with one office and one [[office.slots]], `changes` made to one of them."""
    office, rule = dict(GOOD_OFFICE), dict(GOOD_RULE)
    (office if of == "office" else rule).update(changes)
    lines = ["[[office]]"]
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in office.items()]
    lines += ["", "[[office.slots]]"]
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in rule.items()]
    return "\n".join(lines) + "\n"


def test_the_good_office_file_loads(db, tmp_path):
    assert load(write(tmp_path, office_file())) == "created: kita\n"


@CASES
def test_load_offices_refuses_a_value_that_would_break_the_office(db, tmp_path, bad):
    second_office()
    before = rows()

    message = refused(write(tmp_path, office_file(bad.of, **{bad.field: bad.value})))

    assert f"office 'kita': {bad.loader_field}: {bad.fault}" in message
    assert rows() == before


# The models --------------------------------------------------------------------------------------


@CASES
def test_full_clean_refuses_a_value_that_would_break_the_office(db, bad):
    office = second_office()
    row: Office | SlotRuleRow = office if bad.of == "office" else office.rules.get()
    setattr(row, bad.field, bad.value)

    with pytest.raises(ValidationError) as caught:
        row.full_clean()

    assert bad.fault.text(settings.LANGUAGE_CODE) in caught.value.message_dict[bad.field]


# The validators ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (validate_timezone, "Asia/Tokyo"),
        (validate_timezone, "Europe/London"),
        (validate_meeting_url, "https://meet.example.org/fixed-room"),
        (validate_meeting_url, "https://meet.example.org/room/{room}"),
        (validate_meeting_url, "http://meet.example.org/join?room={room}"),
        (validate_weekdays, ["tue", "thu"]),
        (validate_nth, []),
        (validate_nth, [2, 4]),
        (validate_times, ["00:00", "09:05", "23:59"]),
        (validate_minutes, 5),
        (validate_minutes, 240),
        (validate_seats, 1),
        (validate_seats, 50),
        (validate_horizon_days, 366),
    ],
)
def test_the_validators_accept_good_values(validator, value):
    validator(value)


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (validate_timezone, ""),
        (validate_timezone, "../etc/passwd"),
        (validate_meeting_url, "https://{room}.example.org/"),
        (validate_meeting_url, "https://meet.example.org/" + "x" * 460),
        (validate_meeting_url, "javascript:alert(1)"),
        (validate_weekdays, []),
        (validate_weekdays, ["Tue"]),
        (validate_nth, [True]),
        (validate_nth, None),
        (validate_times, []),
        (validate_times, ["17:15\n"]),
        (validate_times, [1715]),
        (validate_minutes, 4),
        (validate_minutes, True),
        (validate_horizon_days, 367),
    ],
)
def test_the_validators_refuse_bad_values(validator, value):
    with pytest.raises(ValidationError):
        validator(value)
