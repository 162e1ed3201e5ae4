"""R1–R3 at Hello Work Plaza Fukuoka (the demo office), worked out by hand.

Each month below was written from a printed calendar: Tuesdays and Thursdays
have 17:15 and 18:15; the 2nd and 4th Saturdays have 11:00, 13:00, 14:00 and
15:00; closed days (national holidays, 12/29–1/3, extra closures) have nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from offices.models import Closure
from offices.national_holidays import national_holidays
from offices.services import scheduled_slots
from tests.conftest import JST, jst

EVENING = ["17:15", "18:15"]  # Tuesday and Thursday
SATURDAY = ["11:00", "13:00", "14:00", "15:00"]  # 2nd and 4th Saturday

DECEMBER_2026 = {
    # Tuesdays 1 8 15 22 (29 closed: 年末年始); Thursdays 3 10 17 24 (31 closed);
    # Saturdays 5 12 19 26 → 2nd is 12, 4th is 26.
    "2026-12-01": EVENING,
    "2026-12-03": EVENING,
    "2026-12-08": EVENING,
    "2026-12-10": EVENING,
    "2026-12-12": SATURDAY,
    "2026-12-15": EVENING,
    "2026-12-17": EVENING,
    "2026-12-22": EVENING,
    "2026-12-24": EVENING,
    "2026-12-26": SATURDAY,
}
JANUARY_2027 = {
    # 1/1 (Fri, 元日) to 1/3 closed; 1/11 成人の日 is a Monday.
    # Tuesdays 5 12 19 26; Thursdays 7 14 21 28; Saturdays 2 9 16 23 30 → 9 and 23.
    "2027-01-05": EVENING,
    "2027-01-07": EVENING,
    "2027-01-09": SATURDAY,
    "2027-01-12": EVENING,
    "2027-01-14": EVENING,
    "2027-01-19": EVENING,
    "2027-01-21": EVENING,
    "2027-01-23": SATURDAY,
    "2027-01-26": EVENING,
    "2027-01-28": EVENING,
}
FEBRUARY_2027 = {
    # Tuesdays 2 9 16 (23 closed: 天皇誕生日); Thursdays 4 (11 closed: 建国記念の日) 18 25;
    # Saturdays 6 13 20 27 → 13 and 27.
    "2027-02-02": EVENING,
    "2027-02-04": EVENING,
    "2027-02-09": EVENING,
    "2027-02-13": SATURDAY,
    "2027-02-16": EVENING,
    "2027-02-18": EVENING,
    "2027-02-25": EVENING,
    "2027-02-27": SATURDAY,
}
MARCH_2027 = {
    # Tuesdays 2 9 16 23 30; Thursdays 4 11 18 25; Saturdays 6 13 20 27 → 13 and 27.
    # 3/21 春分の日 is a Sunday, its 振替休日 3/22 a Monday; 3/31 (Wed) is the demo file's closure.
    "2027-03-02": EVENING,
    "2027-03-04": EVENING,
    "2027-03-09": EVENING,
    "2027-03-11": EVENING,
    "2027-03-13": SATURDAY,
    "2027-03-16": EVENING,
    "2027-03-18": EVENING,
    "2027-03-23": EVENING,
    "2027-03-25": EVENING,
    "2027-03-27": SATURDAY,
    "2027-03-30": EVENING,
}


def timetable(slots) -> dict[str, list[str]]:
    """Slots as {"2026-12-01": ["17:15", "18:15"], …} in Japan time."""
    days: dict[str, list[str]] = {}
    for slot in slots:
        local = slot.start.astimezone(JST)
        days.setdefault(local.date().isoformat(), []).append(f"{local:%H:%M}")
    return days


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2026, 12, 1), date(2026, 12, 31), DECEMBER_2026),
        (date(2027, 1, 1), date(2027, 1, 31), JANUARY_2027),
        (date(2027, 2, 1), date(2027, 2, 28), FEBRUARY_2027),
        (date(2027, 3, 1), date(2027, 3, 31), MARCH_2027),
    ],
    ids=["2026-12", "2027-01", "2027-02", "2027-03"],
)
def test_it_offers_exactly_the_hand_computed_slots_each_month(fukuoka, first, last, expected):
    assert timetable(scheduled_slots(fukuoka, first=first, last=last)) == expected


def test_it_offers_the_whole_winter_in_one_query_as_month_by_month(fukuoka):
    slots = scheduled_slots(fukuoka, first=date(2026, 12, 1), last=date(2027, 3, 31))

    assert timetable(slots) == DECEMBER_2026 | JANUARY_2027 | FEBRUARY_2027 | MARCH_2027
    assert len(slots) == 2 * 31 + 4 * 8  # 31 Tuesdays and Thursdays, 8 Saturdays


def test_its_slots_last_30_minutes_in_japan_time_with_one_seat(fukuoka):
    slots = scheduled_slots(fukuoka, first=date(2026, 12, 1), last=date(2027, 3, 31))

    for slot in slots:
        assert slot.end - slot.start == timedelta(minutes=30)  # R1
        assert slot.start.utcoffset() == timedelta(hours=9)  # Asia/Tokyo, no summer time
        assert slot.capacity == 1
    assert slots[0].start == jst(2026, 12, 1, 17, 15)
    assert slots[0].end == jst(2026, 12, 1, 17, 45)
    assert slots[-1].start == jst(2027, 3, 30, 18, 15)
    assert slots[-1].end == jst(2027, 3, 30, 18, 45)


def test_it_offers_four_slots_on_the_2nd_and_4th_saturdays_of_december_2026(fukuoka):
    slots = scheduled_slots(fukuoka, first=date(2026, 12, 5), last=date(2026, 12, 26))
    saturdays = [slot.start for slot in slots if slot.start.weekday() == 5]

    assert saturdays == [
        jst(2026, 12, 12, 11, 0),
        jst(2026, 12, 12, 13, 0),
        jst(2026, 12, 12, 14, 0),
        jst(2026, 12, 12, 15, 0),
        jst(2026, 12, 26, 11, 0),
        jst(2026, 12, 26, 13, 0),
        jst(2026, 12, 26, 14, 0),
        jst(2026, 12, 26, 15, 0),
    ]


# Days that the timetable would fill (a Tuesday, a Thursday, or a 2nd or 4th Saturday)
# but that are closed (R3).
CLOSED_SLOT_DAYS = {
    "2026-12-29": "Tue, 年末年始",
    "2026-12-31": "Thu, 年末年始",
    "2027-02-11": "Thu, 建国記念の日",
    "2027-02-23": "Tue, 天皇誕生日",
    "2026-09-22": "Tue, 国民の休日 (between 敬老の日 9/21 and 秋分の日 9/23)",
    "2025-05-06": "Tue, 振替休日 for みどりの日 on Sunday 5/4",
    "2031-05-06": "Tue, 振替休日 for みどりの日 on Sunday 5/4",
    "2026-11-03": "Tue, 文化の日",
    "2029-08-11": "2nd Sat, 山の日",
    "2030-02-23": "4th Sat, 天皇誕生日",
}


@pytest.mark.parametrize("day", CLOSED_SLOT_DAYS)
def test_it_offers_no_slot_on_a_closed_day_the_timetable_would_fill(fukuoka, day):
    day = date.fromisoformat(day)

    assert any(rule.applies_to(day) for rule in fukuoka.slot_rules()), "a timetable day"
    assert scheduled_slots(fukuoka, first=day, last=day) == []


@pytest.mark.parametrize(
    "day", ["2027-01-01", "2027-01-02", "2027-01-03", "2027-03-31", "2027-01-11", "2027-03-22"]
)
def test_it_offers_no_slot_on_other_closed_days_of_the_winter(fukuoka, day):
    day = date.fromisoformat(day)

    assert scheduled_slots(fukuoka, first=day, last=day) == []


def test_it_reopens_after_the_year_end_closure(fukuoka):
    slots = scheduled_slots(fukuoka, first=date(2026, 12, 28), last=date(2027, 1, 5))

    # 12/29 (Tue) to 1/3 closed; Tuesday 1/5 is the first open day.
    assert [slot.start for slot in slots] == [jst(2027, 1, 5, 17, 15), jst(2027, 1, 5, 18, 15)]


def test_it_closes_the_citizens_holiday_between_two_national_holidays(fukuoka):
    slots = scheduled_slots(fukuoka, first=date(2026, 9, 21), last=date(2026, 9, 24))

    # 9/21 敬老の日 (Mon), 9/22 国民の休日 (Tue), 9/23 秋分の日 (Wed): only Thursday 9/24 is open.
    assert date(2026, 9, 22) in national_holidays(date(2026, 9, 1), date(2026, 9, 30))
    assert [slot.start for slot in slots] == [jst(2026, 9, 24, 17, 15), jst(2026, 9, 24, 18, 15)]


def test_it_closes_a_substitute_holiday_that_falls_on_a_tuesday(fukuoka):
    slots = scheduled_slots(fukuoka, first=date(2031, 5, 1), last=date(2031, 5, 10))

    # May 2031: 5/3 (Sat, 1st) 憲法記念日, 5/4 (Sun) みどりの日, 5/5 (Mon) こどもの日,
    # 5/6 (Tue) 振替休日. Open: Thursday 5/1, Thursday 5/8 and the 2nd Saturday 5/10.
    assert date(2031, 5, 6) in national_holidays(date(2031, 1, 1), date(2031, 12, 31))
    assert timetable(slots) == {"2031-05-01": EVENING, "2031-05-08": EVENING, "2031-05-10": SATURDAY}


def test_it_closes_the_demo_files_extra_closure(fukuoka):
    closure = fukuoka.closures.get()

    assert (closure.date, closure.reason) == (date(2027, 3, 31), "施設点検")
    assert fukuoka.closed_dates(date(2027, 3, 1), date(2027, 3, 31)) == {date(2027, 3, 31): "施設点検"}


def test_it_closes_an_extra_closure_that_staff_enter_on_a_tuesday(fukuoka):
    # The demo closure (3/31) is a Wednesday, so check one that removes slots.
    Closure.objects.create(office=fukuoka, date=date(2027, 3, 30), reason="臨時閉庁")

    assert scheduled_slots(fukuoka, first=date(2027, 3, 30), last=date(2027, 3, 30)) == []
    assert timetable(scheduled_slots(fukuoka, first=date(2027, 3, 1), last=date(2027, 3, 31))) == {
        day: times for day, times in MARCH_2027.items() if day != "2027-03-30"
    }


def test_it_offers_nothing_for_an_empty_range(fukuoka):
    assert scheduled_slots(fukuoka, first=date(2026, 12, 2), last=date(2026, 12, 1)) == []
