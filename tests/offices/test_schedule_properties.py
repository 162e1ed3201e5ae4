"""R1–R3 as properties of the pure schedule engine, over six decades of dates.

The expectations are computed independently of the engine: the n-th weekday of a
month comes from the stdlib `calendar`, the year-end closure from a table of
month/day pairs, and the holidays from `national_holidays` (the `holidays` package).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from offices.national_holidays import national_holidays
from offices.schedule import SlotRule, is_year_end_closure, nth_weekday_of_month, slots_between

JST = ZoneInfo("Asia/Tokyo")
EARLIEST = date(2000, 1, 1)
LATEST = date(2060, 12, 31)
MAX_SPAN = 120  # days per drawn range: long enough to cross months and years, short enough to stay fast

# R3: 年末年始 12/29–1/3.
YEAR_END = {(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)}

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

# R2: Hello Work Plaza Fukuoka.
FUKUOKA = (
    SlotRule(weekdays=frozenset({TUE, THU}), times=(time(17, 15), time(18, 15)), minutes=30),
    SlotRule(
        weekdays=frozenset({SAT}),
        nth=frozenset({2, 4}),
        times=(time(11, 0), time(13, 0), time(14, 0), time(15, 0)),
        minutes=30,
    ),
)

# No database here, and Hypothesis keeps no example files in the repository.
engine_settings = settings(max_examples=150, deadline=None, database=None)


def weekdays_of_month(year: int, month: int, weekday: int) -> list[int]:
    """Day numbers of every `weekday` in the month, from the stdlib calendar."""
    return [week[weekday] for week in calendar.monthcalendar(year, month) if week[weekday]]


def nth_by_calendar(day: date) -> int:
    return weekdays_of_month(day.year, day.month, day.weekday()).index(day.day) + 1


def is_closed_day(day: date, holidays: frozenset[date], closures: frozenset[date]) -> bool:
    return (day.month, day.day) in YEAR_END or day in holidays or day in closures


def expected_starts(
    rules: tuple[SlotRule, ...], first: date, last: date, holidays: frozenset[date], closures: frozenset[date]
) -> set[datetime]:
    """The timetable worked out day by day, without the engine."""
    starts = set()
    day = first
    while day <= last:
        if not is_closed_day(day, holidays, closures):
            for rule in rules:
                if day.weekday() in rule.weekdays and (not rule.nth or nth_by_calendar(day) in rule.nth):
                    starts |= {datetime.combine(day, at, tzinfo=JST) for at in rule.times}
        day += timedelta(days=1)
    return starts


slot_times = st.builds(time, hour=st.integers(0, 23), minute=st.integers(0, 59))
rules = st.builds(
    SlotRule,
    weekdays=st.frozensets(st.integers(MON, SUN), min_size=1),
    times=st.lists(slot_times, min_size=1, max_size=4, unique=True).map(tuple),
    minutes=st.integers(5, 240),
    nth=st.frozensets(st.integers(1, 5), max_size=3),
    capacity=st.none() | st.integers(1, 5),
)
timetables = st.just(FUKUOKA) | st.lists(rules, min_size=1, max_size=3).map(tuple)


@st.composite
def date_ranges(draw: st.DrawFn, max_span: int = MAX_SPAN) -> tuple[date, date]:
    first = draw(st.dates(EARLIEST, LATEST - timedelta(days=max_span)))
    return first, first + timedelta(days=draw(st.integers(0, max_span)))


@st.composite
def schedules(draw: st.DrawFn) -> dict:
    """Keyword arguments for slots_between: a timetable, a range, its holidays and some closures."""
    first, last = draw(date_ranges())
    span = (last - first).days
    closures = frozenset(first + timedelta(days=d) for d in draw(st.sets(st.integers(0, span), max_size=10)))
    return {
        "rules": draw(timetables),
        "first": first,
        "last": last,
        "tz": JST,
        "capacity": draw(st.integers(1, 5)),
        "holidays": national_holidays(first, last),
        "closures": closures,
    }


@given(schedules())
@engine_settings
def test_it_never_offers_a_slot_on_a_closed_day(schedule):
    for slot in slots_between(**schedule):
        day = slot.start.date()
        assert day not in schedule["holidays"], f"slot on national holiday {day}"
        assert (day.month, day.day) not in YEAR_END, f"slot in the year-end closure {day}"
        assert day not in schedule["closures"], f"slot on extra closure {day}"


@given(schedules())
@engine_settings
def test_it_offers_slots_only_on_allowed_days_at_allowed_times_with_the_rules_length(schedule):
    for slot in slots_between(**schedule):
        local = slot.start.astimezone(JST)
        assert slot.start.tzinfo == JST
        assert schedule["first"] <= local.date() <= schedule["last"]
        matching = [
            rule
            for rule in schedule["rules"]
            if local.weekday() in rule.weekdays
            and (not rule.nth or nth_by_calendar(local.date()) in rule.nth)
            and local.time() in rule.times
        ]
        assert matching, f"no rule offers {local:%Y-%m-%d %a %H:%M}"
        # The first rule naming a start decides its length and capacity.
        assert slot.end - slot.start == timedelta(minutes=matching[0].minutes)
        expected_capacity = matching[0].capacity or schedule["capacity"]
        assert slot.capacity == expected_capacity


@given(schedules())
@engine_settings
def test_it_offers_every_slot_the_rules_give_on_open_days(schedule):
    found = [slot.start for slot in slots_between(**schedule)]

    assert set(found) == expected_starts(
        schedule["rules"], schedule["first"], schedule["last"], schedule["holidays"], schedule["closures"]
    )


@given(schedules())
@engine_settings
def test_it_returns_slots_sorted_and_unique(schedule):
    starts = [slot.start for slot in slots_between(**schedule)]

    assert starts == sorted(starts)
    assert len(starts) == len(set(starts))


@given(schedules())
@engine_settings
def test_it_makes_one_slot_when_two_rules_name_the_same_start(schedule):
    once = slots_between(**schedule)
    twice = slots_between(**{**schedule, "rules": schedule["rules"] + schedule["rules"]})

    assert twice == once


@given(date_ranges(), st.data())
@engine_settings
def test_it_gives_the_same_slots_over_a_range_as_over_its_parts(date_range, data):
    first, last = date_range
    split = first + timedelta(days=data.draw(st.integers(0, (last - first).days), label="split"))
    rules = data.draw(timetables, label="rules")

    def slots(a: date, b: date) -> list:
        # Each call gets the holidays of its own range, as scheduled_slots does.
        return slots_between(
            rules=rules, first=a, last=b, tz=JST, capacity=1, holidays=national_holidays(a, b)
        )

    assert slots(first, last) == slots(first, split) + slots(split + timedelta(days=1), last)


@given(year=st.integers(EARLIEST.year, LATEST.year), month=st.integers(1, 12))
@engine_settings
def test_it_puts_fukuoka_saturdays_on_the_2nd_and_4th_saturday_across_month_boundaries(year, month):
    # From two weeks before the month to two weeks after: three months, two boundaries.
    first = date(year, month, 1) - timedelta(days=14)
    last = date(year, month, calendar.monthrange(year, month)[1]) + timedelta(days=14)
    saturday_slot_days = {
        slot.start.date()
        for slot in slots_between(
            rules=FUKUOKA, first=first, last=last, tz=JST, capacity=1, holidays=frozenset()
        )
        if slot.start.weekday() == SAT
    }

    expected = set()
    for y, m in {(first.year, first.month), (year, month), (last.year, last.month)}:
        saturdays = weekdays_of_month(y, m, SAT)
        expected |= {date(y, m, saturdays[1]), date(y, m, saturdays[3])}
    assert saturday_slot_days == {d for d in expected if first <= d <= last}


@given(st.dates(EARLIEST, LATEST))
@engine_settings
def test_it_counts_the_nth_weekday_of_the_month_like_the_calendar(day):
    assert nth_weekday_of_month(day) == nth_by_calendar(day)


@given(st.dates(EARLIEST, LATEST))
@engine_settings
def test_it_closes_exactly_december_29_to_january_3(day):
    assert is_year_end_closure(day) == ((day.month, day.day) in YEAR_END)


@given(st.integers(EARLIEST.year, LATEST.year))
@engine_settings
def test_it_gives_the_day_after_a_sunday_holiday_off(year):
    # 振替休日: a holiday on a Sunday moves the day off to the next day that is not one.
    holidays = national_holidays(date(year, 1, 1), date(year, 12, 31))
    for day in holidays:
        if day.weekday() == SUN and day.year == year:
            assert day + timedelta(days=1) in national_holidays(day, day + timedelta(days=1))


@given(st.integers(EARLIEST.year, LATEST.year))
@engine_settings
def test_it_gives_a_weekday_between_two_holidays_off(year):
    # 国民の休日: a day between two national holidays is itself a day off.
    holidays = national_holidays(date(year, 1, 1), date(year, 12, 31))
    for day in holidays:
        between = day + timedelta(days=1)
        if between.weekday() != SUN and day + timedelta(days=2) in holidays:
            assert between in holidays


@given(date_ranges(max_span=3 * 366))
@engine_settings
def test_it_takes_national_holidays_for_every_year_of_the_range(date_range):
    first, last = date_range
    holidays = national_holidays(first, last)

    for year in range(first.year, last.year + 1):
        assert date(year, 1, 1) in holidays  # 元日
        assert date(year, 2, 11) in holidays  # 建国記念の日
        assert date(year, 11, 3) in holidays  # 文化の日
