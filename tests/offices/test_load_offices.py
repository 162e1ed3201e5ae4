"""`python manage.py load_offices FILE.toml` (SPEC §2, §4): creates or updates offices,
changes nothing the second time, and refuses a bad file whole, naming office, field and fault.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import translation

from offices.models import Closure, Office, SlotRuleRow, TermsVersion, office_code_validator
from offices.schedule import SlotRule
from offices.services import scheduled_slots
from offices.validation import (
    validate_meeting_url,
    validate_seats,
    validate_times,
    validate_timezone,
    validate_weekdays,
)
from tests.conftest import DEMO

KITA = """
[[office]]
code = "kita"
name = "ハローワーク北"
phone = "011-000-0000"
timezone = "Asia/Tokyo"
capacity = 2
horizon_days = 30
meeting_url = "https://meet.example.org/kita"

[[office.slots]]
weekdays = ["mon", "wed"]
times = ["10:00", "10:30"]
minutes = 30

[[office.slots]]
weekdays = ["sat"]
nth = [1]
times = ["09:00"]
minutes = 45
capacity = 1

[[office.closures]]
date = "2027-03-31"
reason = "施設点検"
"""

MINAMI = """
[[office]]
code = "minami"
name = "ハローワーク南"
phone = "099-000-0000"
meeting_url = "https://meet.example.org/room/{room}"

[[office.slots]]
weekdays = ["tue"]
times = ["13:00"]
"""


def write(tmp_path, text: str, name: str = "offices.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(path) -> str:
    out = StringIO()
    call_command("load_offices", str(path), stdout=out)
    return out.getvalue()


def refused(path) -> str:
    with pytest.raises(CommandError) as caught:
        load(path)
    return str(caught.value)


@dataclass(frozen=True)
class Fault:
    """What a validator of offices.validation says of a value, as the loader prints it."""

    validator: Callable[[Any], None]
    value: Any

    def __str__(self) -> str:
        return self.text("en")

    def text(self, language: str) -> str:
        with pytest.raises(ValidationError) as caught:
            self.validator(self.value)
        with translation.override(language):
            return "\n".join(caught.value.messages)


def rows() -> dict[str, list[dict]]:
    """Everything the loader writes, row by row, primary keys included."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Office, SlotRuleRow, Closure, TermsVersion)
    }


def test_it_creates_the_offices_in_the_file(db, tmp_path):
    output = load(write(tmp_path, KITA + MINAMI))

    assert output == "created: kita, minami\n"
    kita = Office.objects.get(code="kita")
    assert (kita.name, kita.phone, kita.timezone, kita.capacity, kita.horizon_days, kita.meeting_url) == (
        "ハローワーク北",
        "011-000-0000",
        "Asia/Tokyo",
        2,
        30,
        "https://meet.example.org/kita",
    )
    assert kita.slot_rules() == [
        SlotRule(weekdays=frozenset({0, 2}), times=(time(10, 0), time(10, 30)), minutes=30),
        SlotRule(weekdays=frozenset({5}), nth=frozenset({1}), times=(time(9, 0),), minutes=45, capacity=1),
    ]
    assert kita.closed_dates(date(2027, 1, 1), date(2027, 12, 31)) == {date(2027, 3, 31): "施設点検"}
    minami = Office.objects.get(code="minami")
    assert (minami.timezone, minami.capacity, minami.horizon_days) == ("Asia/Tokyo", 1, 60)  # defaults


def test_it_changes_nothing_when_run_a_second_time(db, tmp_path):
    path = write(tmp_path, KITA + MINAMI)
    load(path)
    before = rows()

    output = load(path)

    assert output == "unchanged: kita, minami\n"
    assert rows() == before


def test_it_loads_the_demo_file_once_and_then_leaves_it_unchanged(db):
    assert load(DEMO) == "created: fukuoka-plaza\n"
    before = rows()

    assert load(DEMO) == "unchanged: fukuoka-plaza\n"
    assert rows() == before
    assert len(before["SlotRuleRow"]) == 2
    # The demo's own summary beside the standard terms that `migrate` published.
    assert sorted(t["version"] for t in before["TermsVersion"]) == ["demo-1", "standard-2026-11-25"]


def test_it_updates_what_the_file_changes_and_leaves_the_rest(db, tmp_path):
    load(write(tmp_path, KITA + MINAMI))

    output = load(write(tmp_path, KITA.replace("011-000-0000", "011-111-1111") + MINAMI))

    assert output == "updated: kita\nunchanged: minami\n"
    assert Office.objects.get(code="kita").phone == "011-111-1111"


def test_it_replaces_the_timetable_when_the_file_changes_it(db, tmp_path):
    load(write(tmp_path, KITA))

    load(write(tmp_path, KITA.replace('times = ["10:00", "10:30"]', 'times = ["11:00"]')))

    rules = Office.objects.get(code="kita").slot_rules()
    assert [rule.times for rule in rules] == [(time(11, 0),), (time(9, 0),)]


def test_it_keeps_closures_that_staff_entered(db, tmp_path):
    path = write(tmp_path, KITA)
    load(path)
    kita = Office.objects.get(code="kita")
    Closure.objects.create(office=kita, date=date(2027, 5, 10), reason="臨時閉庁")

    assert load(path) == "unchanged: kita\n"
    assert set(kita.closed_dates(date(2027, 1, 1), date(2027, 12, 31))) == {
        date(2027, 3, 31),
        date(2027, 5, 10),
    }


@pytest.mark.parametrize(
    "closure", ['date = "2027-03-31"', "date = 2027-03-31"], ids=["string-as-in-spec", "toml-date"]
)
def test_it_takes_a_closure_date_as_a_string_or_a_toml_date(db, tmp_path, closure):
    load(write(tmp_path, KITA.replace('date = "2027-03-31"', closure)))

    kita = Office.objects.get(code="kita")
    assert kita.closed_dates(date(2027, 3, 1), date(2027, 3, 31)) == {date(2027, 3, 31): "施設点検"}
    # Wednesday 2027-03-31 would have slots at kita (mon, wed) but is closed.
    assert scheduled_slots(kita, first=date(2027, 3, 29), last=date(2027, 3, 31))[-1].start.day == 29


def test_it_sees_a_string_date_and_a_toml_date_as_the_same_closure(db, tmp_path):
    load(write(tmp_path, KITA))
    before = rows()

    assert (
        load(write(tmp_path, KITA.replace('date = "2027-03-31"', "date = 2027-03-31"))) == "unchanged: kita\n"
    )
    assert rows() == before


# A bad file: (what is wrong, the file, words the error must contain: office, field, fault).
BAD_FILES = {
    "bad-weekday": (
        KITA.replace('weekdays = ["mon", "wed"]', 'weekdays = ["mon", "wedn"]'),
        [
            "'kita'",
            "slots[0].weekdays",
            "wedn",
            "mon, tue, wed, thu, fri, sat, sun",
            Fault(validate_weekdays, ["mon", "wedn"]),
        ],
    ),
    "bad-time": (
        KITA.replace('times = ["09:00"]', 'times = ["25:00"]'),
        ["'kita'", "slots[1].times", "25:00", "HH:MM", Fault(validate_times, ["25:00"])],
    ),
    "missing-phone": (
        KITA.replace('phone = "011-000-0000"\n', ""),
        ["'kita'", "phone", "is required"],
    ),
    "blank-phone": (
        KITA.replace('phone = "011-000-0000"', 'phone = "  "'),
        ["'kita'", "phone", "is required"],
    ),
    "unknown-office-field": (
        KITA.replace('phone = "011-000-0000"', 'phone = "011-000-0000"\nfax = "011-000-0001"'),
        ["'kita'", "fax", "is not a known field"],
    ),
    "unknown-slot-field": (
        KITA.replace("minutes = 45", "minute = 45"),
        ["'kita'", "slots[1].minute", "is not a known field"],
    ),
    "bad-date": (
        KITA.replace('date = "2027-03-31"', 'date = "2027-02-30"'),
        ["'kita'", "closures[0].date", "'2027-02-30'", "must be a date like 2027-03-31"],
    ),
    "date-and-time": (
        KITA.replace('date = "2027-03-31"', "date = 2027-03-31T09:00:00"),
        ["'kita'", "closures[0].date", "must be a date like 2027-03-31"],
    ),
    "duplicate-code": (
        KITA + KITA,
        ["'kita'", "code", "appears more than once"],
    ),
    "bad-code": (
        KITA.replace('code = "kita"', 'code = "Kita Office"'),
        ["'Kita Office'", "code", Fault(office_code_validator, "Kita Office")],
    ),
    "code-too-long": (
        KITA.replace('code = "kita"', f'code = "{"k" * 65}"'),
        ["code", "at most 64 characters"],
    ),
    "bad-time-zone": (
        KITA.replace('timezone = "Asia/Tokyo"', 'timezone = "Asia/Fukuoka"'),
        ["'kita'", "timezone", "Asia/Fukuoka", Fault(validate_timezone, "Asia/Fukuoka")],
    ),
    "time-zone-folder": (
        KITA.replace('timezone = "Asia/Tokyo"', 'timezone = "Asia"'),
        ["'kita'", "timezone: ", Fault(validate_timezone, "Asia")],
    ),
    "zero-capacity": (
        KITA.replace("capacity = 2", "capacity = 0"),
        ["'kita'", "capacity", Fault(validate_seats, 0)],
    ),
    "no-slots": (
        MINAMI.split("[[office.slots]]")[0],
        ["'minami'", "slots", "at least one"],
    ),
    "long-closure-reason": (
        KITA.replace('reason = "施設点検"', f'reason = "{"点検" * 101}"'),
        ["'kita'", "closures[0].reason", "at most 200 characters"],
    ),
    "bad-meeting-url": (
        KITA.replace("https://meet.example.org/kita", "meet.example.org/kita"),
        ["'kita'", "meeting_url", Fault(validate_meeting_url, "meet.example.org/kita")],
    ),
    "invalid-toml": (
        KITA.replace('name = "ハローワーク北"', 'name = "ハローワーク北'),
        ["is not valid TOML", "line 4"],
    ),
    "no-office": (
        'title = "offices"\n',
        ["no [[office]] tables"],
    ),
}


@pytest.mark.parametrize(("text", "expected"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_it_refuses_a_bad_file_naming_office_field_and_fault(db, tmp_path, text, expected):
    load(DEMO)
    before = rows()

    message = refused(write(tmp_path, text))

    assert message.startswith("nothing was changed")
    for words in expected:
        assert str(words) in message
    assert rows() == before


def test_it_reports_every_problem_in_the_file_at_once(db, tmp_path):
    text = KITA.replace('phone = "011-000-0000"\n', "").replace('times = ["09:00"]', 'times = ["9:00"]')

    message = refused(write(tmp_path, text))

    assert "office 'kita': phone: is required" in message
    assert "office 'kita': slots[1].times" in message


def test_it_changes_nothing_when_the_first_office_is_fine_and_the_second_is_bad(db, tmp_path):
    load(write(tmp_path, KITA))
    before = rows()
    # The first office would be updated, and a new one created, were the last one not bad.
    text = (
        KITA.replace("011-000-0000", "011-111-1111")
        + MINAMI
        + MINAMI.replace('code = "minami"', 'code = "nishi"').replace(
            'weekdays = ["tue"]', 'weekdays = ["tuesday"]'
        )
    )

    message = refused(write(tmp_path, text))

    assert "office 'nishi': slots[0].weekdays" in message
    assert "'kita'" not in message
    assert "'minami'" not in message
    assert rows() == before


TERMS = """
[office.terms]
version = "2026-12-01"
effective_date = 2026-12-01
title = "利用規約"
file = "terms.txt"
"""


def test_it_publishes_the_terms_named_in_the_file(db, tmp_path):
    (tmp_path / "terms.txt").write_text("第1条 この規約は…\n", encoding="utf-8")

    load(write(tmp_path, KITA + TERMS))

    terms = TermsVersion.objects.get(office__code="kita")
    assert (terms.version, terms.effective_date, terms.title, terms.body) == (
        "2026-12-01",
        date(2026, 12, 1),
        "利用規約",
        "第1条 この規約は…",
    )


def test_it_refuses_new_text_under_a_published_terms_version(db, tmp_path):
    (tmp_path / "terms.txt").write_text("第1条 この規約は…", encoding="utf-8")
    path = write(tmp_path, MINAMI + KITA + TERMS)
    load(path)
    before = rows()
    # Also change minami, which comes first: nothing of the file may be applied.
    write(tmp_path, MINAMI.replace("099-000-0000", "099-111-1111") + KITA + TERMS)
    (tmp_path / "terms.txt").write_text("第1条 この規約は（改正）…", encoding="utf-8")

    message = refused(path)

    assert "office 'kita': terms.version" in message
    assert "'2026-12-01' is already published" in message
    assert rows() == before


def test_it_accepts_a_new_terms_version_beside_the_old_one(db, tmp_path):
    (tmp_path / "terms.txt").write_text("第1条 旧", encoding="utf-8")
    load(write(tmp_path, KITA + TERMS))
    (tmp_path / "terms-2.txt").write_text("第1条 新", encoding="utf-8")

    output = load(
        write(tmp_path, KITA + TERMS.replace("2026-12-01", "2027-04-01").replace("terms.txt", "terms-2.txt"))
    )

    assert output == "updated: kita\n"
    assert list(TermsVersion.objects.filter(office__code="kita").values_list("version", "body")) == [
        ("2027-04-01", "第1条 新"),
        ("2026-12-01", "第1条 旧"),
    ]


def test_it_refuses_terms_whose_file_is_missing(db, tmp_path):
    message = refused(write(tmp_path, KITA + TERMS))

    assert "office 'kita': terms.file: cannot read terms.txt" in message
    assert not Office.objects.exists()


def test_it_refuses_a_file_that_does_not_exist(db, tmp_path):
    message = refused(tmp_path / "missing.toml")

    assert "cannot read" in message
    assert "missing.toml" in message
