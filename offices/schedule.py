"""The schedule engine (R1–R3): rules, closures and holidays in, slots out.

Pure: no database, no clock. Everything it needs is an argument, so it can be
tested over decades of dates.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class SlotRule:
    """One line of an office's timetable: which days, which start times."""

    weekdays: frozenset[int]  # 0 = Monday … 6 = Sunday
    times: tuple[time, ...]
    minutes: int = 30
    nth: frozenset[int] = frozenset()  # empty: every week; {2, 4}: 2nd and 4th of the month
    capacity: int | None = None  # None: the office's capacity

    def applies_to(self, day: date) -> bool:
        if day.weekday() not in self.weekdays:
            return False
        return not self.nth or nth_weekday_of_month(day) in self.nth


@dataclass(frozen=True, order=True)
class Slot:
    start: datetime  # aware, in the office's time zone
    end: datetime
    capacity: int


def nth_weekday_of_month(day: date) -> int:
    """1 for the first Saturday (say) of the month, 2 for the second, …"""
    return (day.day - 1) // 7 + 1


def is_year_end_closure(day: date) -> bool:
    # R3: 12/29–1/3 closed (年末年始).
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_closed(day: date, *, holidays: Container[date], closures: Container[date]) -> bool:
    """R3: national holidays, the year-end closure and the office's extra closures."""
    return is_year_end_closure(day) or day in holidays or day in closures


def wall_time_exists(moment: datetime) -> bool:
    return moment.astimezone(UTC).astimezone(moment.tzinfo).replace(tzinfo=None) == moment.replace(
        tzinfo=None
    )


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def slots_between(
    *,
    rules: tuple[SlotRule, ...] | list[SlotRule],
    first: date,
    last: date,
    tz: ZoneInfo,
    capacity: int,
    holidays: Container[date],
    closures: Container[date] = frozenset(),
) -> list[Slot]:
    """Every slot from `first` to `last` (office dates, both inclusive), sorted."""
    found: dict[datetime, Slot] = {}
    for day in days(first, last):
        if is_closed(day, holidays=holidays, closures=closures):
            continue
        for rule in rules:
            if not rule.applies_to(day):
                continue
            for at in rule.times:
                start = datetime.combine(day, at, tzinfo=tz)
                if not wall_time_exists(start):
                    continue  # skipped by a daylight-saving change (not in Japan)
                # Two rules naming the same start make one slot, not two.
                found.setdefault(
                    start,
                    Slot(
                        start=start,
                        # Real minutes, not wall-clock ones, across a clock change.
                        end=(start.astimezone(UTC) + timedelta(minutes=rule.minutes)).astimezone(tz),
                        capacity=rule.capacity if rule.capacity is not None else capacity,
                    ),
                )
    return sorted(found.values())
