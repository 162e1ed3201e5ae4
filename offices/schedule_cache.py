"""The schedule engine's answers, remembered per process.

`slots_between` is pure: the same rules, dates, time zone, capacity, holidays and closures give
the same slots. So its answers are kept under a key made of all of its inputs, read fresh from
the database by the caller on every request: a changed timetable or a new closure is a new
key, never a stale answer, and nothing needs to be invalidated. What is remembered is only
the schedule; seats left are always counted in the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

from offices.schedule import Slot, SlotRule, slots_between

# Horizons and single days of a few hundred offices per process; an entry for a 60-day
# horizon of 8 slots a day is about 100 kB, a single day about 2 kB.
CACHED_SCHEDULES = 512


def schedule(
    *,
    rules: Iterable[SlotRule],
    first: date,
    last: date,
    tz: ZoneInfo,
    capacity: int,
    holidays: Iterable[date],
    closures: Iterable[date],
) -> list[Slot]:
    """The slots from `first` to `last` (both inclusive), as offices.schedule computes them."""
    return list(_schedule(tuple(rules), first, last, tz, capacity, frozenset(holidays), frozenset(closures)))


@lru_cache(maxsize=CACHED_SCHEDULES)
def _schedule(
    rules: tuple[SlotRule, ...],
    first: date,
    last: date,
    tz: ZoneInfo,
    capacity: int,
    holidays: frozenset[date],
    closures: frozenset[date],
) -> tuple[Slot, ...]:
    return tuple(
        slots_between(
            rules=rules,
            first=first,
            last=last,
            tz=tz,
            capacity=capacity,
            holidays=holidays,
            closures=closures,
        )
    )
