#!/usr/bin/env python
"""A linked package's intake against a single procedure's intake, in the same run.

Both go through the counter's one-transaction path, in process, on PostgreSQL: the single
intake drafts and seals one dossier with its route and fees (as the one-request JSON
intake does, `intake.drafts.open_draft` then `intake.sealing.seal`); the linked intake
(`dossiers.linked.actions.take_in`) does the same for each of the three members of the
"child under six" package (birth registration, permanent residence, health-insurance
card) and adds the package: its code, its parts and feeds, the fee lines, the message.
Rounds alternate the two so that both see the same machine. Reported: p50 and mean
milliseconds per intake, SQL statements per intake (savepoints count), and the ratios
linked/single and linked/(3 × single) — the second is what the package adds over
taking the three dossiers in one by one.

Usage: python bench/linked/run.py [--rounds 60]
Needs PostgreSQL on 127.0.0.1:5432 (BENCH_PG to change); uses its own database
pg_linked_bench (BENCH_LINKED_DB to change), dropped afterwards (--keep to keep it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

os.environ.setdefault("POSTGOV_ENV", "development")
ROOT = Path(__file__).resolve().parents[2]
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB = os.environ.get("BENCH_LINKED_DB", "pg_linked_bench")


def admin(sql: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def prepare() -> None:
    admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin(f"CREATE DATABASE {DB}")
    env = {**os.environ, "DATABASE_URL": f"{PG}/{DB}", "DJANGO_SETTINGS_MODULE": "postgov.settings"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0", "--noinput"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "createcachetable"], cwd=ROOT, env=env, check=True)


class Counter:
    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def measure(rounds: int) -> dict:
    os.environ["DATABASE_URL"] = f"{PG}/{DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "postgov.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from postgov.catalog import catalog_access
    from postgov.catalog.models import Procedure
    from postgov.dossiers.linked import actions as linked_actions
    from postgov.dossiers.linked.queries import package_checklist
    from postgov.dossiers.tests.intake_helpers import sealed_in_one_pass
    from postgov.dossiers.tests.linked_helpers import BIRTH, intake, linked_world
    from postgov.identity.access import Access
    from tests.personas import build_world

    world = build_world()
    linked = linked_world(world)
    user, access = world.clerk_a, Access.for_user(world.clerk_a)
    version = catalog_access.cached_version_in_force(Procedure.objects.get(code=BIRTH).pk)
    keys = {line.key for line in package_checklist(linked)}

    def single() -> None:
        sealed_in_one_pass(world, version, user, access)

    def package() -> None:
        linked_actions.take_in(intake(world, linked, present=keys), actor=user, access=access)

    timings: dict[str, list[float]] = {"single": [], "linked": []}
    statements: dict[str, list[int]] = {"single": [], "linked": []}
    # One of each first, unmeasured: caches of reference data filled.
    single()
    package()
    started = timezone.now()
    for _ in range(rounds):
        for name, fn in (("single", single), ("linked", package)):
            counter = Counter()
            with connection.execute_wrapper(counter):
                t0 = time.perf_counter()
                fn()
                timings[name].append((time.perf_counter() - t0) * 1000)
            statements[name].append(counter.n)
    result = {"rounds": rounds, "started": started.isoformat()}
    for name in timings:
        result[name] = {
            "p50_ms": round(statistics.median(timings[name]), 2),
            "mean_ms": round(statistics.fmean(timings[name]), 2),
            "statements": round(statistics.fmean(statements[name]), 1),
        }
    single_p50 = result["single"]["p50_ms"]
    result["linked_over_single"] = round(result["linked"]["p50_ms"] / single_p50, 2)
    result["linked_over_three_singles"] = round(result["linked"]["p50_ms"] / (3 * single_p50), 2)
    result["statements_linked_over_three_singles"] = round(
        result["linked"]["statements"] / (3 * result["single"]["statements"]), 2
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    prepare()
    try:
        result = measure(args.rounds)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "linked.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
