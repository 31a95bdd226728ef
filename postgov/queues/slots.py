"""When appointments can be booked: half-hour slots within the point's opening hours, on
the days the point is open (not Vietnam's legal holidays, not the extra days off of the
admins' swap table for the province), from now to `BOOKING_DAYS_AHEAD` days ahead.

Opening hours are kept as people wrote them ("Thứ Hai–Thứ Bảy 07:00–19:00; Chủ nhật
07:00–11:30"); this module reads that form. A point whose hours it cannot read gets
`DEFAULT_HOURS`, the usual hours of a small post office.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.agencies.calendar import adjusted_days
from postgov.lib.text import fold
from postgov.lib.workingtime import is_legal_holiday
from postgov.places.models import ServicePoint
from postgov.queues.models import Appointment, QueueService

BOOKING_DAYS_AHEAD = 14
SLOT_MINUTES = 30
Hours = dict[int, tuple[tuple[time, time], ...]]

_MORNING_AFTERNOON = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
DEFAULT_HOURS: Hours = {day: _MORNING_AFTERNOON for day in range(5)} | {
    5: ((time(7, 30), time(11, 30)),)
}
# Folded (no marks, lower case) day names: "thu hai" is Monday ... "chu nhat" Sunday.
_DAYS = {"hai": 0, "ba": 1, "tu": 2, "nam": 3, "sau": 4, "bay": 5}
_DAY = r"(?:thu\s+(?:hai|bay|ba|tu|nam|sau)|chu\s+nhat|cn|t[2-7])"
_PART = re.compile(rf"^\s*({_DAY})(?:\s*[-–]\s*({_DAY}))?\s*:?\s*(.*)$")
_RANGE = re.compile(r"(\d{1,2})[:h](\d{2})\s*[-–]\s*(\d{1,2})[:h](\d{2})")


def _weekday(name: str) -> int:
    name = " ".join(name.split())
    if name in ("chu nhat", "cn"):
        return 6
    if name.startswith("t") and name[1:].isdigit():
        return int(name[1:]) - 2
    return _DAYS[name.split()[1]]


def parse_hours(text: str) -> Hours:
    """{weekday: ((start, end), ...)} from the hours as written; DEFAULT_HOURS if unread."""
    hours: Hours = {}
    for part in fold(text or "").replace("–", "-").split(";"):
        match = _PART.match(part)
        if not match:
            continue
        first = _weekday(match.group(1))
        last = _weekday(match.group(2)) if match.group(2) else first
        ranges = []
        for h1, m1, h2, m2 in _RANGE.findall(match.group(3)):
            try:
                start, end = time(int(h1), int(m1)), time(int(h2), int(m2))
            except ValueError:
                continue
            if end > start:
                ranges.append((start, end))
        for day in range(first, last + 1):
            hours[day] = tuple(ranges)
    return hours or DEFAULT_HOURS


def hours_on(point: ServicePoint, day: date) -> tuple[tuple[time, time], ...]:
    """The point's opening hours on `day`, empty when it is closed."""
    days_off, extra_working_days = adjusted_days(point.commune.province_id)
    hours = parse_hours(point.opening_hours)
    if day in days_off or (is_legal_holiday(day) and day not in extra_working_days):
        return ()
    if day in extra_working_days and not hours.get(day.weekday()):
        # A make-up working day (usually a Saturday) keeps Monday's hours.
        return hours.get(0, ())
    return hours.get(day.weekday(), ())


@dataclass(frozen=True)
class Slot:
    day: date
    starts_at: time
    ends_at: time
    free: int

    @property
    def value(self) -> str:
        return f"{self.day.isoformat()}T{self.starts_at:%H:%M}"


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


def slot_times(point: ServicePoint, day: date) -> list[tuple[time, time]]:
    found = []
    step = timedelta(minutes=SLOT_MINUTES)
    for start, end in hours_on(point, day):
        at = _local(day, start)
        while at + step <= _local(day, end):
            found.append((at.time(), (at + step).time()))
            at += step
    return found


def booked(service: QueueService, day: date) -> dict[time, int]:
    rows = (
        Appointment.objects.filter(
            service=service,
            day=day,
            state__in=(Appointment.State.BOOKED, Appointment.State.CHECKED_IN),
        )
        .values("starts_at")
        .annotate(n=Count("id"))
    )
    return {row["starts_at"]: row["n"] for row in rows}


def free_slots(service: QueueService, *, days: int = BOOKING_DAYS_AHEAD) -> list[Slot]:
    """Slots with room left, from the next one that has not started to `days` ahead."""
    now = timezone.localtime()
    point = service.service_point
    slots = []
    for offset in range(days + 1):
        day = now.date() + timedelta(days=offset)
        taken = booked(service, day)
        for start, end in slot_times(point, day):
            if _local(day, start) <= now:
                continue
            free = service.slot_capacity - taken.get(start, 0)
            if free > 0:
                slots.append(Slot(day, start, end, free))
    return slots


def slot_problem(service: QueueService, day: date, start: time) -> str:
    """Why this slot cannot be booked (the language of the page), or "" when it can."""
    now = timezone.localtime()
    if service.slot_capacity == 0 or not service.active:
        return _("This service takes no appointments.")
    if day > now.date() + timedelta(days=BOOKING_DAYS_AHEAD):
        return _("Choose a day within the next %(days)d days.") % {"days": BOOKING_DAYS_AHEAD}
    times = dict(slot_times(service.service_point, day))
    if start not in times:
        return _("The post office is not open at that time. Choose another time.")
    if _local(day, start) <= now:
        return _("That time has passed. Choose a later time.")
    return ""


def slot_end(service: QueueService, day: date, start: time) -> time:
    return dict(slot_times(service.service_point, day))[start]
