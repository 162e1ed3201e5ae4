"""Which slots can be booked now (SPEC §6): up to today + horizon_days in the office
time zone, inclusive; never a slot that has started; `from`/`to` clipped to that.

Hello Work Plaza Fukuoka has horizon_days = 60. From Sunday 2026-11-29 (JST) the
horizon is Thursday 2027-01-28; from Saturday 2026-11-28 it is Wednesday 2027-01-27,
so the last bookable day is Tuesday 2027-01-26.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from offices.services import bookable_slots, find_bookable_slot, horizon_last_day, office_today
from tests.conftest import jst


def starts(slots) -> list[datetime]:
    return [slot.start for slot in slots]


@pytest.mark.parametrize(
    "now",
    [
        jst(2026, 11, 29, 0, 0),
        jst(2026, 11, 29, 0, 30),
        datetime(2026, 11, 28, 15, 30, tzinfo=UTC),  # the same instant; the UTC date is still the 28th
        jst(2026, 11, 29, 23, 59),
    ],
    ids=["jst-midnight", "jst-00:30", "utc-15:30-the-day-before", "jst-23:59"],
)
def test_it_takes_today_in_japan_time_and_includes_the_horizon_day(fukuoka, now):
    slots = bookable_slots(fukuoka, now=now)

    assert office_today(fukuoka, now=now) == date(2026, 11, 29)
    assert horizon_last_day(fukuoka, now=now) == date(2027, 1, 28)
    assert starts(slots)[-2:] == [jst(2027, 1, 28, 17, 15), jst(2027, 1, 28, 18, 15)]


@pytest.mark.parametrize(
    "now",
    [jst(2026, 11, 28, 23, 59, 59), datetime(2026, 11, 28, 14, 59, 59, tzinfo=UTC)],
    ids=["jst-23:59:59", "utc-14:59:59"],
)
def test_it_leaves_out_the_day_after_the_horizon_until_midnight_in_japan(fukuoka, now):
    slots = bookable_slots(fukuoka, now=now)

    assert horizon_last_day(fukuoka, now=now) == date(2027, 1, 27)
    assert starts(slots)[-2:] == [jst(2027, 1, 26, 17, 15), jst(2027, 1, 26, 18, 15)]
    assert all(slot.start.date() <= date(2027, 1, 27) for slot in slots)


def test_it_offers_every_scheduled_slot_from_now_to_the_horizon(fukuoka):
    slots = bookable_slots(fukuoka, now=jst(2026, 11, 29, 0, 30))

    # Dec 2026: 8 Tuesdays/Thursdays and 2 Saturdays; Jan 2027 up to the 28th: 8 and 2.
    assert len(slots) == 2 * (8 + 8) + 4 * (2 + 2)
    assert slots[0].start == jst(2026, 12, 1, 17, 15)


def test_it_leaves_out_a_slot_that_starts_exactly_now(fukuoka):
    now = jst(2026, 12, 1, 17, 15)

    assert starts(bookable_slots(fukuoka, now=now))[0] == jst(2026, 12, 1, 18, 15)
    assert find_bookable_slot(fukuoka, start=jst(2026, 12, 1, 17, 15), now=now) is None


def test_it_leaves_out_a_slot_in_progress(fukuoka):
    now = jst(2026, 12, 1, 17, 30)

    assert starts(bookable_slots(fukuoka, now=now))[0] == jst(2026, 12, 1, 18, 15)


def test_it_offers_a_slot_until_the_moment_it_starts(fukuoka):
    now = jst(2026, 12, 1, 17, 15) - timedelta(microseconds=1)

    assert starts(bookable_slots(fukuoka, now=now))[0] == jst(2026, 12, 1, 17, 15)


def test_it_compares_start_and_now_as_instants_whatever_their_zone(fukuoka):
    now = datetime(2026, 12, 1, 8, 15, tzinfo=UTC)  # 17:15 in Japan

    assert starts(bookable_slots(fukuoka, now=now))[0] == jst(2026, 12, 1, 18, 15)


def test_it_keeps_only_the_days_asked_for_inside_the_horizon(fukuoka):
    now = jst(2026, 12, 1, 9, 0)
    slots = bookable_slots(fukuoka, now=now, first=date(2026, 12, 10), last=date(2026, 12, 12))

    assert starts(slots) == [
        jst(2026, 12, 10, 17, 15),
        jst(2026, 12, 10, 18, 15),
        jst(2026, 12, 12, 11, 0),
        jst(2026, 12, 12, 13, 0),
        jst(2026, 12, 12, 14, 0),
        jst(2026, 12, 12, 15, 0),
    ]


def test_it_clips_a_first_day_in_the_past_to_today(fukuoka):
    now = jst(2026, 12, 3, 18, 0)
    slots = bookable_slots(fukuoka, now=now, first=date(2026, 11, 1), last=date(2026, 12, 8))

    assert starts(slots) == [
        jst(2026, 12, 3, 18, 15),
        jst(2026, 12, 8, 17, 15),
        jst(2026, 12, 8, 18, 15),
    ]


def test_it_clips_a_last_day_beyond_the_horizon_to_the_horizon(fukuoka):
    now = jst(2026, 11, 29, 0, 30)
    clipped = bookable_slots(fukuoka, now=now, first=date(2027, 1, 20), last=date(2027, 12, 31))

    assert starts(clipped) == [
        jst(2027, 1, 21, 17, 15),
        jst(2027, 1, 21, 18, 15),
        jst(2027, 1, 23, 11, 0),
        jst(2027, 1, 23, 13, 0),
        jst(2027, 1, 23, 14, 0),
        jst(2027, 1, 23, 15, 0),
        jst(2027, 1, 26, 17, 15),
        jst(2027, 1, 26, 18, 15),
        jst(2027, 1, 28, 17, 15),
        jst(2027, 1, 28, 18, 15),
    ]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2027, 1, 29), date(2027, 2, 28)),  # wholly after the horizon
        (date(2026, 11, 1), date(2026, 11, 28)),  # wholly before today
        (date(2026, 12, 10), date(2026, 12, 8)),  # to before from
    ],
    ids=["after-horizon", "before-today", "reversed"],
)
def test_it_offers_nothing_outside_today_to_the_horizon(fukuoka, first, last):
    assert bookable_slots(fukuoka, now=jst(2026, 11, 29, 0, 30), first=first, last=last) == []


def test_it_finds_a_bookable_slot_by_its_start_in_any_zone(fukuoka):
    now = jst(2026, 12, 1, 9, 0)

    slot = find_bookable_slot(fukuoka, start=datetime(2026, 12, 12, 4, 0, tzinfo=UTC), now=now)

    assert slot is not None
    assert (slot.start, slot.end) == (jst(2026, 12, 12, 13, 0), jst(2026, 12, 12, 13, 30))


@pytest.mark.parametrize(
    "start",
    [
        jst(2026, 12, 1, 17, 30),  # not a start time of the timetable
        jst(2026, 12, 2, 17, 15),  # a Wednesday
        jst(2026, 12, 19, 11, 0),  # the 3rd Saturday
        jst(2026, 12, 29, 17, 15),  # year-end closure
        jst(2026, 11, 28, 11, 0),  # the 4th Saturday of November: already past
        jst(2027, 1, 30, 11, 0),  # the horizon day, but a 5th Saturday
        jst(2027, 2, 2, 17, 15),  # a Tuesday beyond the horizon
    ],
)
def test_it_finds_no_bookable_slot_where_none_can_be_booked(fukuoka, start):
    assert find_bookable_slot(fukuoka, start=start, now=jst(2026, 12, 1, 9, 0)) is None


def test_it_finds_the_last_slot_on_the_horizon_day_but_not_the_next_days(fukuoka):
    now = jst(2026, 11, 29, 0, 30)

    assert find_bookable_slot(fukuoka, start=jst(2027, 1, 28, 18, 15), now=now) is not None
    assert find_bookable_slot(fukuoka, start=jst(2027, 2, 2, 17, 15), now=now) is None
