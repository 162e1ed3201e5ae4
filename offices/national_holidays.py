"""Japan's national holidays, from the maintained `holidays` package (R3)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays_of_year(country: str, year: int) -> frozenset[date]:
    # Includes substitute holidays (振替休日) and citizens' holidays (国民の休日).
    return frozenset(holidays.country_holidays(country, years=year).keys())


def national_holidays(first: date, last: date, country: str = "JP") -> frozenset[date]:
    found: set[date] = set()
    for year in range(first.year, last.year + 1):
        found |= _holidays_of_year(country, year)
    return frozenset(found)
