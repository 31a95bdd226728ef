"""Working days for the dates we promise citizens (expected arrival, expected result).

Weekends and the legal holidays of the `holidays` package (VN) are skipped. The
government's yearly swaps and make-up Saturdays (DESIGN §2.2) are an admin-edited table
that the agency-side calendar adds; until then these dates are estimates, shown as such.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=16)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: date, days: float) -> date:
    """The working day `days` working days after `start` (a part day counts as a whole)."""
    remaining = math.ceil(days)
    day = start
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day
