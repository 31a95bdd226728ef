#!/usr/bin/env python
"""Benchmark of the postman's route planner (`delivery.routing.plan_route`).

For each of N random days: 60 stops scattered within about 4 km of a post office in
Đông Hà, a third in the morning window, a third in the afternoon, a third (deliveries)
without one. Measures the time to plan and the planned route's length against the
booked order put in window order (the baseline a postman follows unaided): p50 and max
of the time, and the mean, best and worst length ratio planned/booked (lower is better),
with the stops reached late in each. Then the same days through the page's cache
(`delivery.route_plans`, Django's local-memory cache here): the first load plans, a reload
without a change follows the kept order; p50 and max of each.

Usage: python bench/route/run.py [--days N] [--stops K] [--seed S]
Pure Python: needs no database.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import datetime as dt  # noqa: E402

import django  # noqa: E402
from django.conf import settings  # noqa: E402

# The cache alone, in memory: no database, no project settings.
settings.configure(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    USE_TZ=True,
)
django.setup()

from postgov.delivery.route_plans import planned_route  # noqa: E402
from postgov.delivery.routing import Stop, plan_route  # noqa: E402 - after the path is set

OFFICE = (16.8163, 107.1003)
SPREAD = 0.035  # degrees: about 4 km
WINDOWS = [(450.0, 690.0), (810.0, 1020.0), (None, None)]


def day(rng: random.Random, count: int) -> list[Stop]:
    stops = []
    for i in range(count):
        opens, closes = WINDOWS[i % 3]
        stops.append(
            Stop(
                key=str(i),
                lat=OFFICE[0] + rng.uniform(-SPREAD, SPREAD),
                lon=OFFICE[1] + rng.uniform(-SPREAD, SPREAD),
                opens=opens,
                closes=closes,
            )
        )
    rng.shuffle(stops)
    return stops


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--stops", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seconds, ratios, late = [], [], []
    first_load, reload = [], []
    for number in range(args.days):
        stops = day(rng, args.stops)
        started = time.perf_counter()
        route = plan_route(OFFICE, stops)
        seconds.append(time.perf_counter() - started)
        ratios.append(route.distance_km / route.booked_distance_km)
        late.append(sum(p.late for p in route.stops))
        today = dt.date(2026, 3, 10) + dt.timedelta(days=number)
        for moment, times in ((540.0, first_load), (545.0, reload)):
            started = time.perf_counter()
            planned_route(OFFICE, stops, depart=moment, day=today)
            times.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "days": args.days,
                "stops": args.stops,
                "plan_seconds_p50": round(statistics.median(seconds), 3),
                "plan_seconds_max": round(max(seconds), 3),
                "length_ratio_mean": round(statistics.mean(ratios), 3),
                "length_ratio_best": round(min(ratios), 3),
                "length_ratio_worst": round(max(ratios), 3),
                "late_stops_max": max(late),
                "page_first_load_seconds_p50": round(statistics.median(first_load), 3),
                "page_first_load_seconds_max": round(max(first_load), 3),
                "page_reload_seconds_p50": round(statistics.median(reload), 4),
                "page_reload_seconds_max": round(max(reload), 4),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
