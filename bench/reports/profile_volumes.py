#!/usr/bin/env python
"""Where the time of the volumes page for a year goes, and the page before and after a
change, in the same run on the database `bench/reports/run.py --keep` left.

For the provincial and the national administrator, alternating request by request:
- the page (`/reports/volumes/` for the 365 days up to today) with the volume figures of
  the code at `--before` (a git revision: its `postgov/reports/volumes.py`, loaded beside
  the current one) and with the current code;
- `volume_report` alone, before and after (the figures without the form and the charts);
- the direct aggregate of the month's events (`run.direct_aggregate`, the baseline of
  `run.py`).
Each with p50 and p95 over `--repeat` requests, the process's CPU per request and the SQL
statements per request (and the time the database took for them, from the client's side).
The two reports' figures are compared: the change must not move one.

Usage: python bench/reports/profile_volumes.py [--before REV] [--repeat 30]
(BENCH_PG, BENCH_REPORTS_DB as for run.py).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "reports"))
os.environ.setdefault("POSTGOV_ENV", "development")

import run  # noqa: E402  — bench/reports/run.py: its database, users and baseline

from bench import pg  # noqa: E402


def load_before(revision: str):
    """`postgov/reports/volumes.py` as it was at `revision`, as a module of its own."""
    text = subprocess.run(  # noqa: S603 — git reading this repository
        ["git", "show", f"{revision}:postgov/reports/volumes.py"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "volumes_before.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("volumes_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["volumes_before"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def measure(call, repeat: int, into: dict[str, list[float]]) -> None:
    """Wall time, CPU of this process and statements (with their time seen from the
    client) of `repeat` calls, added to `into`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            call()
            cpu = time.process_time() - cpu
            wall = time.perf_counter() - wall
        into.setdefault("wall", []).append(wall)
        into.setdefault("cpu", []).append(cpu)
        into.setdefault("statements", []).append(len(queries.captured_queries))
        into.setdefault("sql", []).append(sum(float(q["time"]) for q in queries.captured_queries))


def summary(found: dict[str, list[float]]) -> dict:
    return {
        "p50_ms": round(statistics.median(found["wall"]) * 1000, 1),
        "p95_ms": round(run.percentile(found["wall"], 0.95) * 1000, 1),
        "cpu_ms_per_request": round(statistics.median(found["cpu"]) * 1000, 1),
        "statements_per_request": statistics.median(found["statements"]),
        "sql_ms_p50": round(statistics.median(found["sql"]) * 1000, 1),
    }


def main(argv) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="HEAD~1", help="git revision of the old code")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    load_start = [round(x, 2) for x in os.getloadavg()]
    pg.setup_django(run.SERVER, run.DB)

    from django.utils import timezone

    from postgov.identity.access import Access
    from postgov.identity.models import User
    from postgov.places.models import Province
    from postgov.reports import views, volumes
    from tests.clients import PostGovClient

    before = load_before(args.before)
    today = timezone.localdate()
    year_from = today - timedelta(days=364)
    query = {"date_from": year_from.isoformat(), "date_to": today.isoformat()}
    province = Province.objects.order_by("pk").first()
    result: dict = {"load_average_at_start": load_start, "before": args.before, "who": {}}
    for who, username in (("province", "bench_province"), ("national", "bench_national")):
        user = User.objects.get(username=username)
        access = Access.for_user(user)
        old = before.volume_report(access, year_from, today)
        new = volumes.volume_report(access, year_from, today)
        assert [b.figures for b in old.buckets] == [b.figures for b in new.buckets]
        assert [(b.on_time, b.late) for b in old.buckets] == [
            (b.on_time, b.late) for b in new.buckets
        ]
        assert old.segments == new.segments and old.total.figures == new.total.figures
        client = PostGovClient()
        client.force_login(user)

        def page(report_function, client=client):
            views.volume_report = report_function
            response = client.get("/reports/volumes/", query)
            assert response.status_code == 200, response.status_code

        calls = {
            "page_before": lambda: page(before.volume_report),
            "page_after": lambda: page(volumes.volume_report),
            "volume_report_before": lambda access=access: before.volume_report(
                access, year_from, today
            ),
            "volume_report_after": lambda access=access: volumes.volume_report(
                access, year_from, today
            ),
        }
        for call in calls.values():  # warm the plans, the caches and the reference data
            call()
            call()
        # Alternate the calls, a few requests at a time, so that both see the same load.
        rounds = 5
        raw: dict[str, dict[str, list[float]]] = {name: {} for name in calls}
        for _ in range(rounds):
            for name, call in calls.items():
                measure(call, max(1, args.repeat // rounds), raw[name])
        found = {name: summary(raw[name]) for name in calls}
        views.volume_report = volumes.volume_report
        baseline = run.direct_aggregate(province.pk if who == "province" else None, args.repeat)
        found["direct_aggregate_of_the_month"] = baseline
        for name in calls:
            found[name]["p95_ratio_to_direct_aggregate"] = round(
                found[name]["p95_ms"] / baseline["p95_ms"], 2
            )
        result["who"][who] = found
        print(who, json.dumps(found, indent=1), flush=True)
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "reports_volumes_profile.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
