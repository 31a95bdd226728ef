"""Figures of assisted sessions for a period and a set of service points, for the reports:
sessions per day, per point, per outcome and per portal, and the mean time spent. Days
are local days; a session counts on the day it started."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from postgov.assisted.models import AssistedSession


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def sessions(start: date, end: date, point_ids: Iterable[int] | None = None):
    """The sessions started from `start` to `end` (both included) at the points given
    (every point when None)."""
    rows: QuerySet[AssistedSession] = AssistedSession.objects.filter(
        started_at__gte=_start(start), started_at__lt=_start(end + timedelta(days=1))
    )
    if point_ids is not None:
        rows = rows.filter(point_id__in=list(point_ids))
    return rows


def per_day(start: date, end: date, point_ids: Iterable[int] | None = None) -> dict[date, int]:
    """Every day of the period, with 0 for a day without sessions."""
    counts = {start + timedelta(days=n): 0 for n in range((end - start).days + 1)}
    for started_at in sessions(start, end, point_ids).values_list("started_at", flat=True):
        counts[timezone.localdate(started_at)] += 1
    return counts


def _count_by(field: str, start: date, end: date, point_ids) -> dict:
    rows = sessions(start, end, point_ids).values(field).annotate(n=Count("id")).order_by(field)
    return {row[field]: row["n"] for row in rows}


def per_point(start: date, end: date, point_ids: Iterable[int] | None = None) -> dict[int, int]:
    return _count_by("point_id", start, end, point_ids)


def per_outcome(start: date, end: date, point_ids: Iterable[int] | None = None) -> dict[str, int]:
    """By outcome code; "" for sessions still open."""
    return _count_by("outcome", start, end, point_ids)


def per_portal(start: date, end: date, point_ids: Iterable[int] | None = None) -> dict[str, int]:
    return _count_by("portal", start, end, point_ids)


@dataclass(frozen=True)
class TimeSpent:
    ended: int
    mean_minutes: float | None
    total_minutes: float


def time_spent(start: date, end: date, point_ids: Iterable[int] | None = None) -> TimeSpent:
    """Over ended sessions only: an open one has no time yet. Computed in Python so that
    SQLite and PostgreSQL give the same figure."""
    seconds = [
        (ended - started).total_seconds()
        for started, ended in sessions(start, end, point_ids)
        .filter(ended_at__isnull=False)
        .values_list("started_at", "ended_at")
    ]
    total = sum(seconds) / 60
    return TimeSpent(
        ended=len(seconds),
        mean_minutes=round(total / len(seconds), 1) if seconds else None,
        total_minutes=round(total, 1),
    )
