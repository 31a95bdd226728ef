#!/usr/bin/env python
"""Benchmark of the nearest-post-office search at the country's size.

1. Creates 13,000 service points (clustered round 60 towns across Việt Nam, like the
   network) in a database of its own: SQLite in a temporary directory, and PostgreSQL
   (`pg_nearest_bench`, created and dropped) when it answers.
2. Measures, in the same run, for the same random places:
   - the baseline: a brute-force scan, every active point with coordinates read through
     the ORM and measured by haversine, then sorted;
   - `places.nearby.nearest()` (a latitude/longitude box widened until enough points,
     then haversine), checked to find the same points as the scan;
   p50 and p95 of each, and the ratio nearest/scan (lower is better).

Usage: python bench/nearest/run.py [--db sqlite|pg|both] [--queries N] [--limit K]
Needs PostgreSQL on 127.0.0.1:5432 for --db pg (BENCH_PG=postgres://user@host:port).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = "pg_nearest_bench"
POINTS = 13_000
TOWNS = 60


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(queries: int, limit: int) -> dict:
    """Runs inside a process whose DATABASE_URL is set: the database is empty."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from postgov.lib.text import fold
    from postgov.places import nearby
    from postgov.places.models import Commune, Province, ServicePoint

    province = Province.objects.create(
        code="99", name="Tỉnh Thử", short_name="Thử", latitude=16.0, longitude=107.0
    )
    commune = Commune.objects.create(
        code="99999", province=province, name="Xã Thử", short_name="Thử", kind="xa"
    )
    rng = random.Random(2025)
    towns = [(rng.uniform(8.6, 23.0), rng.uniform(102.5, 109.3)) for _ in range(TOWNS)]
    rows = []
    for index in range(POINTS):
        lat, lon = towns[index % TOWNS]
        name = f"Bưu cục {index}"
        rows.append(
            ServicePoint(
                code=f"B{index:05d}",
                name=name,
                kind=ServicePoint.Kind.POST_OFFICE_3,
                address="1 Đường Thử",
                commune=commune,
                latitude=lat + rng.gauss(0, 0.35),
                longitude=lon + rng.gauss(0, 0.35),
                name_folded=fold(name),
            )
        )
    ServicePoint.objects.bulk_create(rows, batch_size=2000)

    def scan(lat: float, lon: float) -> list[str]:
        points = ServicePoint.objects.filter(
            active=True, latitude__isnull=False, longitude__isnull=False
        )
        measured = sorted(
            (nearby.haversine_km(lat, lon, p.latitude, p.longitude), p.code) for p in points
        )
        return [code for _d, code in measured[:limit]]

    places = [(rng.uniform(8.6, 23.0), rng.uniform(102.5, 109.3)) for _ in range(queries)]
    # Warm both paths (connections, query compilation) before timing.
    for lat, lon in places[:5]:
        scan(lat, lon)
        nearby.nearest(lat, lon, limit)
    scan_times, nearest_times, mismatches = [], [], 0
    for lat, lon in places:
        start = time.perf_counter()
        expected = scan(lat, lon)
        scan_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        found = [p.code for _d, p in nearby.nearest(lat, lon, limit)]
        nearest_times.append(time.perf_counter() - start)
        mismatches += found != expected
    result = {
        "points": POINTS,
        "queries": queries,
        "limit": limit,
        "scan_p50_ms": round(statistics.median(scan_times) * 1000, 2),
        "scan_p95_ms": round(percentile(scan_times, 0.95) * 1000, 2),
        "nearest_p50_ms": round(statistics.median(nearest_times) * 1000, 3),
        "nearest_p95_ms": round(percentile(nearest_times, 0.95) * 1000, 3),
        "mismatches": mismatches,
    }
    result["p95_ratio_nearest_to_scan"] = round(result["nearest_p95_ms"] / result["scan_p95_ms"], 4)
    return result


def run_child(database_url: str, queries: int, limit: int) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "false"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--queries", str(queries), "--limit", str(limit)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=3):
            return True
    except Exception:  # a benchmark without PostgreSQL measures SQLite only
        return False


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "pg", "both"], default="both")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.queries, args.limit)))
        return 0

    results = {}
    if args.db in {"sqlite", "both"}:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["POSTGOV_DATA_DIR"] = tmp
            results["sqlite"] = run_child(
                f"sqlite:///{tmp}/nearest.sqlite3", args.queries, args.limit
            )
    if args.db in {"pg", "both"} and postgres_available():
        import psycopg

        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB}"')
        try:
            results["postgresql"] = run_child(f"{SERVER}/{DB}", args.queries, args.limit)
        finally:
            with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    for name, figures in results.items():
        print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "nearest.json").write_text(json.dumps(results, indent=2))
    return 1 if any(r["mismatches"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
