"""Offices outside Japan: slots across daylight-saving changes (STYLE: a DST test)."""

from datetime import UTC, date, time, timedelta
from zoneinfo import ZoneInfo

from offices.schedule import SlotRule, slots_between

NEW_YORK = ZoneInfo("America/New_York")
SUNDAYS = frozenset({6})


def slots_on(day: date, *times: time):
    rule = SlotRule(weekdays=SUNDAYS, times=times, minutes=30)
    return slots_between(rules=[rule], first=day, last=day, tz=NEW_YORK, capacity=1, holidays=frozenset())


def test_it_leaves_out_a_start_the_clocks_skip():
    # 2027-03-14: 02:00 jumps to 03:00 in New York.
    slots = slots_on(date(2027, 3, 14), time(1, 30), time(2, 30), time(3, 30))
    assert [s.start.strftime("%H:%M") for s in slots] == ["01:30", "03:30"]


def test_it_gives_thirty_real_minutes_across_the_change():
    [slot] = slots_on(date(2027, 3, 14), time(1, 45))
    assert slot.end.astimezone(UTC) - slot.start.astimezone(UTC) == timedelta(minutes=30)
    assert slot.end.strftime("%H:%M %Z") == "03:15 EDT"


def test_it_keeps_a_start_that_happens_twice_once():
    # 2027-11-07: 01:00–02:00 happens twice; the slot is the first 01:30.
    [slot] = slots_on(date(2027, 11, 7), time(1, 30))
    assert slot.start.utcoffset() == timedelta(hours=-4)
    assert slot.end.astimezone(UTC) - slot.start.astimezone(UTC) == timedelta(minutes=30)
