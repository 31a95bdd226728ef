"""Working-day and working-hour arithmetic for legal deadlines (docs/domain.md §3.5, §3.6).

A calendar knows the weekends, the legal holidays of Vietnam (the `holidays` package,
which also carries some of the government's yearly swaps), an admin-edited table of
further swaps (extra days off, make-up working Saturdays — the table wins), and an
agency's office hours. Deadlines:

- in working days: the day of receipt counts as day 0 when the dossier arrives on a
  working day (before 15:00 where the procedure has that rule); otherwise receipt moves to
  the next working day. The result is due at the close of office on the N-th working day
  after it. A fraction of a day is counted in working hours.
- in working hours: counted inside office hours from the moment of receipt.
- pauses (a supplement requested): the working time left at the pause is added again,
  from the moment the clock restarts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

import holidays

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_OFFICE_HOURS = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
AFTER_HOURS_CUTOFF = time(15, 0)
# How far ahead we look for the next working day before deciding the calendar is broken.
_MAX_SCAN_DAYS = 366


def parse_office_hours(ranges: Iterable[str]) -> tuple[tuple[time, time], ...]:
    """["07:30-11:30", "13:30-17:00"] -> ((07:30, 11:30), (13:30, 17:00))."""
    parsed = []
    for text in ranges:
        start, _, end = text.partition("-")
        begin, finish = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
        if finish <= begin:
            raise ValueError(f"office hours {text!r}: the end is not after the start")
        parsed.append((begin, finish))
    parsed.sort()
    for (_, earlier_end), (later_start, _) in zip(parsed, parsed[1:], strict=False):
        if later_start < earlier_end:
            raise ValueError("office hours overlap")
    return tuple(parsed) or DEFAULT_OFFICE_HOURS


@lru_cache(maxsize=1)
def _vietnam_holidays() -> holidays.HolidayBase:
    """One table per process: it fills in each year as it is first asked about, which costs
    more than the deadline arithmetic itself."""
    return holidays.country_holidays("VN")


def is_legal_holiday(day: date) -> bool:
    """Whether `day` is one of Vietnam's legal holidays (weekends aside)."""
    return day in _vietnam_holidays()


@dataclass(frozen=True)
class WorkingCalendar:
    office_hours: tuple[tuple[time, time], ...] = DEFAULT_OFFICE_HOURS
    extra_days_off: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)
    tz: ZoneInfo = VIETNAM

    @property
    def _legal(self) -> holidays.HolidayBase:
        return _vietnam_holidays()

    @cached_property
    def seconds_per_day(self) -> int:
        return sum(
            (datetime.combine(date.min, end) - datetime.combine(date.min, start)).seconds
            for start, end in self.office_hours
        )

    # -- days ------------------------------------------------------------------------------
    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        return self._legal.is_working_day(day)

    def next_working_day(self, day: date) -> date:
        for offset in range(1, _MAX_SCAN_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError("no working day within a year: check the calendar")

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.tz)

    def close_of(self, day: date) -> datetime:
        return self._at(day, self.office_hours[-1][1])

    def open_of(self, day: date) -> datetime:
        return self._at(day, self.office_hours[0][0])

    # -- deadlines -----------------------------------------------------------------------
    def due_in_working_days(
        self, received_at: datetime, days: Decimal | float | int, *, after_15h_next_day: bool
    ) -> datetime:
        local = received_at.astimezone(self.tz)
        days = Decimal(str(days))
        if days <= 0:
            raise ValueError("the time limit must be positive")
        if days < 1:
            return self.add_working_seconds(received_at, int(days * self.seconds_per_day))
        day = local.date()
        late = after_15h_next_day and local.time() >= AFTER_HOURS_CUTOFF
        if not self.is_working_day(day) or late:
            day = self.next_working_day(day)
        whole = int(days)
        for _ in range(whole):
            day = self.next_working_day(day)
        due = self.close_of(day)
        fraction = days - whole
        if fraction:
            due = self.add_working_seconds(due, int(fraction * self.seconds_per_day))
        return due

    def due_in_working_hours(self, received_at: datetime, hours: Decimal | float | int) -> datetime:
        if Decimal(str(hours)) <= 0:
            raise ValueError("the time limit must be positive")
        return self.add_working_seconds(received_at, int(Decimal(str(hours)) * 3600))

    # -- working time ----------------------------------------------------------------------
    def _intervals_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Office intervals (as aware datetimes) from `start` on, clipped to it."""
        local = start.astimezone(self.tz)
        day = local.date()
        for _ in range(_MAX_SCAN_DAYS * 2):
            if self.is_working_day(day):
                for begin, end in self.office_hours:
                    lo, hi = self._at(day, begin), self._at(day, end)
                    if hi <= local:
                        continue
                    yield max(lo, local), hi
            day += timedelta(days=1)

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """The moment after `seconds` of office time from `start`."""
        remaining = seconds
        last_end = start
        for lo, hi in self._intervals_from(start):
            span = int((hi - lo).total_seconds())
            if remaining <= span:
                return lo + timedelta(seconds=remaining)
            remaining -= span
            last_end = hi
        return last_end

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        if end <= start:
            return -self.working_seconds_between(end, start) if end < start else 0
        total = 0
        for lo, hi in self._intervals_from(start):
            if lo >= end:
                break
            total += int((min(hi, end) - lo).total_seconds())
        return total

    def resume(self, due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
        """The new due date when a clock paused at `paused_at` restarts at `resumed_at`."""
        left = self.working_seconds_between(paused_at, due_at)
        if left <= 0:
            return due_at  # already late when paused: the pause does not forgive it
        return self.add_working_seconds(resumed_at, left)

    def working_days_left(self, now: datetime, due_at: datetime) -> Decimal:
        """Working days (one decimal) until the deadline; negative when late."""
        seconds = self.working_seconds_between(now, due_at)
        return (Decimal(seconds) / Decimal(self.seconds_per_day)).quantize(Decimal("0.1"))
