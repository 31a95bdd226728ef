"""The service points nearest a place, whether each is open now, and what it receives.

Nearest: a box around the place on the indexed latitude and longitude, widened until it
holds enough points, then the exact great-circle distance in Python. The same on SQLite
and PostgreSQL (no spatial extension); a box of a few kilometres reads a handful of rows
out of the country's 13,000."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import QuerySet

from postgov.lib.hooks import Hooks
from postgov.lib.text import fold
from postgov.lib.workingtime import is_legal_holiday
from postgov.places.models import ServicePoint

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.32
START_RADIUS_KM = 5.0
# Past this the box is dropped: every remaining point is measured (a place far from any).
MAX_RADIUS_KM = 320.0

# What a point receives: the apps that know (the agencies' competence) answer for a set of
# provinces with {province id: [(procedure code, name), ...]}; registered from their ready().
PointProcedures = Callable[[set[int]], dict[int, list[tuple[str, str]]]]
POINT_PROCEDURES: Hooks[PointProcedures] = Hooks("places.point_procedures")

# The admins' swap table of a province (extra days off, make-up working days), from the app
# that keeps it (the agencies' calendar); registered from its ready().
AdjustedDays = Callable[[int | None], tuple[frozenset[date], frozenset[date]]]
ADJUSTED_DAYS: Hooks[AdjustedDays] = Hooks("places.adjusted_days")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """A latitude/longitude box holding every point within `radius_km`: the longitude span
    is taken at the box's edge nearest a pole, where a degree is shortest."""
    dlat = radius_km / KM_PER_DEGREE
    widest = min(89.0, abs(lat) + dlat)
    dlon = min(180.0, radius_km / (KM_PER_DEGREE * math.cos(math.radians(widest))))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def nearest(
    lat: float,
    lon: float,
    limit: int = 5,
    queryset: QuerySet[ServicePoint] | None = None,
) -> list[tuple[float, ServicePoint]]:
    """The `limit` points nearest (lat, lon), as (distance in km, point), nearest first;
    ties by code. Points without coordinates are never found."""
    points = (
        queryset if queryset is not None else ServicePoint.objects.filter(active=True)
    ).filter(latitude__isnull=False, longitude__isnull=False)
    radius = START_RADIUS_KM
    while True:
        if radius > MAX_RADIUS_KM:
            rows: Iterable[ServicePoint] = points
        else:
            south, north, west, east = _box(lat, lon, radius)
            rows = points.filter(latitude__range=(south, north), longitude__range=(west, east))
        measured = []
        for point in rows:
            if point.latitude is None or point.longitude is None:
                continue  # filtered out above; says so to the type checker
            distance = haversine_km(lat, lon, point.latitude, point.longitude)
            # Only points inside the circle count: one in the box's corner may be farther
            # than a point outside the box.
            if radius > MAX_RADIUS_KM or distance <= radius:
                measured.append((distance, point.code, point))
        if len(measured) >= limit or radius > MAX_RADIUS_KM:
            measured.sort(key=lambda row: (row[0], row[1]))
            return [(distance, point) for distance, _code, point in measured[:limit]]
        radius *= 2


# Opening hours as the network writes them: "Thứ Hai–Thứ Bảy 07:00–19:00; Chủ nhật
# 07:00–11:30" (English day names are read too). Folded, dashes made plain.
_DAYS = {
    "thu hai": 0, "thu ba": 1, "thu tu": 2, "thu nam": 3, "thu sau": 4, "thu bay": 5,
    "chu nhat": 6, "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
_DAY = "|".join(sorted(map(re.escape, _DAYS), key=len, reverse=True))
_PART = re.compile(rf"^\s*({_DAY})(?:\s*-\s*({_DAY}))?\s*:?\s*(.+)$")
_RANGE = re.compile(r"(\d{1,2})[:h](\d{2})\s*-\s*(\d{1,2})[:h](\d{2})")


def parse_hours(text: str) -> dict[int, list[tuple[time, time]]] | None:
    """{weekday: [(opens, closes), ...]} of an opening-hours text; None when a part of it
    cannot be read (then nobody is told the point is open or closed)."""
    plain = fold(text).replace("\u2013", "-").replace("\u2014", "-")
    if not plain:
        return None
    week: dict[int, list[tuple[time, time]]] = {}
    for part in filter(None, (p.strip() for p in plain.split(";"))):
        match = _PART.match(part)
        if not match:
            return None
        first = _DAYS[match.group(1)]
        last = _DAYS[match.group(2)] if match.group(2) else first
        ranges = _RANGE.findall(match.group(3))
        if not ranges or last < first:
            return None
        try:
            spans = [(time(int(a), int(b)), time(int(c), int(d))) for a, b, c, d in ranges]
        except ValueError:
            return None
        for day in range(first, last + 1):
            week.setdefault(day, []).extend(spans)
    return week


def adjusted_days(province_id: int | None) -> tuple[frozenset[date], frozenset[date]]:
    """(extra days off, make-up working days) for a province; none without the hook."""
    days_off: set[date] = set()
    working_days: set[date] = set()
    for hook in ADJUSTED_DAYS:
        off, on = hook(province_id)
        days_off |= off
        working_days |= on
    return frozenset(days_off), frozenset(working_days)


def open_now(
    text: str,
    now: datetime,
    *,
    days_off: frozenset[date] = frozenset(),
    working_days: frozenset[date] = frozenset(),
) -> bool | None:
    """Whether a point with these hours is open at `now` (local time): closed on Vietnam's
    legal holidays and on the province's extra days off; on a make-up working day (often a
    Saturday) open with the hours of an ordinary weekday. None when the hours cannot be
    read."""
    week = parse_hours(text)
    if week is None:
        return None
    today = now.date()
    spans = week.get(now.weekday(), [])
    if today in working_days:
        # The swap makes it a weekday: Monday's hours (the first weekday the text gives),
        # or the day's own when the text gives no weekday.
        weekday = next((day for day in range(5) if week.get(day)), None)
        spans = week[weekday] if weekday is not None else spans
    elif today in days_off or is_legal_holiday(today):
        return False
    moment = now.time()
    return any(opens <= moment < closes for opens, closes in spans)


def point_open_now(point: ServicePoint, now: datetime) -> bool | None:
    """`open_now` for a point, with the swap table of its province."""
    days_off, working_days = adjusted_days(point.commune.province_id)
    return open_now(point.opening_hours, now, days_off=days_off, working_days=working_days)


@dataclass
class Found:
    point: ServicePoint
    distance_km: float
    open_now: bool | None
    vpostcode: str = ""
    osm_url: str = ""
    geo_uri: str = ""
    procedures: list[tuple[str, str]] = field(default_factory=list)


def procedures_by_province(province_ids: set[int]) -> dict[int, list[tuple[str, str]]]:
    received: dict[int, list[tuple[str, str]]] = {}
    for hook in POINT_PROCEDURES:
        for province_id, rows in hook(province_ids).items():
            received.setdefault(province_id, []).extend(rows)
    return received


def geo_uri(lat: float, lon: float) -> str:
    """A geo: URI (RFC 5870) that phones open in their map application."""
    return f"geo:{lat:.6f},{lon:.6f}?z=17"
