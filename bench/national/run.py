#!/usr/bin/env python
"""A national plan from measured costs.

Measures, on PostgreSQL, what one counter intake, one later event of a dossier and one staff
login cost the database: the CPU of the backend serving them (read from /proc), the bytes
they add to tables and indexes (pg_total_relation_size over every table), and the WAL they
write (pg_current_wal_lsn before and after). Each is also given as a ratio to the baseline
measured in the same run: a raw single-row INSERT+COMMIT through psycopg.

By default the benchmark starts a PostgreSQL cluster of its own (initdb on a free port, as
the replica test does): on a shared server the WAL position moves with everyone's writes.
`--server postgres://...` uses a running server instead (WAL figures then include other
clients' writes and are marked so).

From the measured costs, a small model sizes a year of national volume and its peak hour
(the assumptions are arguments, printed with the result, and discussed in
docs/capacity.md): storage, WAL, database CPU-seconds in the peak hour, the cores that
serve it with waiting kept rare (Erlang C: the chance that an operation queues for a core
under 5 %), and the growth factor at which one primary no longer suffices, with the
per-province split of a Citus cluster distributed by province.

Usage: python bench/national/run.py [--intakes 200] [--events 200] [--logins 60]
Writes bench/results/national.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

os.environ.setdefault("POSTGOV_ENV", "development")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench import pg  # noqa: E402

DB = os.environ.get("BENCH_NATIONAL_DB", "pg_national_bench")
BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"), Path("/usr/local/bin"))
TICK = os.sysconf("SC_CLK_TCK")


# -- a cluster of our own ------------------------------------------------------------------


def _binary(name: str) -> str:
    for directory in BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: install the PostgreSQL server, or pass --server")
    return found


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def own_cluster() -> Iterator[str]:
    base = Path(tempfile.mkdtemp(prefix="postgov-national-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    data = base / "data"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = lambda command: subprocess.run(_as_server_user(command), check=True, capture_output=True)  # noqa: E731
    run([_binary("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--no-sync", "--no-instructions"])  # fmt: skip
    # As a production primary would run: WAL for a standby, full-page writes, fsync on.
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={base} "
        "-c wal_level=replica -c shared_buffers=128MB -c max_wal_size=2GB"
    )
    pg_ctl = _binary("pg_ctl")
    run([pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"])
    try:
        yield f"postgres://postgres@127.0.0.1:{port}"
    finally:
        run([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)


# -- what one operation costs ----------------------------------------------------------------


def backend_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Meter:
    """The backend's CPU, the bytes of every table (indexes and TOAST included) and the WAL
    position, read on the connection's own backend and a side connection."""

    def __init__(self, connection, side: psycopg.Connection):
        self.connection, self.side = connection, side

    def pid(self) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    def read(self) -> tuple[float, int, str]:
        size = self.side.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r'"
        ).fetchone()[0]
        lsn = self.side.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
        return backend_cpu(self.pid()), size, lsn

    def measure(self, label: str, count: int, operation: Callable[[int], None]) -> dict:
        # Dirty pages flushed and a checkpoint taken first, so every measure starts alike
        # (the first change of a page after a checkpoint writes it whole into the WAL).
        self.side.execute("CHECKPOINT")
        cpu0, size0, lsn0 = self.read()
        wall0, own0 = time.perf_counter(), time.process_time()
        for index in range(count):
            operation(index)
        wall, own = time.perf_counter() - wall0, time.process_time() - own0
        cpu1, size1, lsn1 = self.read()
        wal = self.side.execute("SELECT pg_wal_lsn_diff(%s, %s)::bigint", [lsn1, lsn0]).fetchone()[
            0
        ]
        return {
            "operation": label,
            "count": count,
            "db_cpu_ms": round((cpu1 - cpu0) * 1000 / count, 3),
            "bytes": round((size1 - size0) / count),
            "wal_bytes": round(wal / count),
            "app_cpu_ms": round(own * 1000 / count, 2),
            "wall_ms": round(wall * 1000 / count, 2),
        }


def baseline_inserts(server: str, count: int, side: psycopg.Connection) -> dict:
    with psycopg.connect(f"{server}/{DB}", autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_baseline")
        conn.execute(
            "CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, at timestamptz, v text)"
        )
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]

        class Plain:
            def cursor(self):
                return conn.cursor()

        meter = Meter(Plain(), side)
        meter.pid = lambda: pid  # type: ignore[method-assign]
        result = meter.measure(
            "insert_commit",
            count,
            lambda i: conn.execute(
                "INSERT INTO bench_baseline (at, v) VALUES (now(), %s)", [f"row {i}"]
            ),
        )
        conn.execute("DROP TABLE bench_baseline")
    return result


def measure_operations(server: str, intakes: int, events: int, logins: int) -> dict:
    pg.setup_django(server, DB)
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from postgov.catalog import catalog_access
    from postgov.catalog.models import Procedure
    from postgov.dossiers.actions import perform
    from postgov.dossiers.models import DossierEvent
    from postgov.dossiers.tests.intake_helpers import sealed_in_one_pass
    from postgov.dossiers.tests.linked_helpers import BIRTH, linked_world
    from postgov.identity.access import Access
    from tests.personas import PASSWORD, build_world

    world = build_world()
    linked_world(world)
    user, access = world.clerk_a, Access.for_user(world.clerk_a)
    version = catalog_access.cached_version_in_force(Procedure.objects.get(code=BIRTH).pk)
    sealed: list[int] = []

    def intake(_index: int) -> None:
        sealed.append(sealed_in_one_pass(world, version, user, access).pk)

    def event(index: int) -> None:
        perform(sealed[index], "dispatch", actor=user, access=access)

    login_url = reverse("identity:login")

    def login(_index: int) -> None:
        client = Client()
        response = client.post(login_url, {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.status_code

    with psycopg.connect(f"{server}/{DB}", autocommit=True) as side:
        # Caches of reference data filled, one of each, unmeasured.
        intake(0)
        event(0)
        login(0)
        sealed.clear()
        meter = Meter(connection, side)
        events_before = DossierEvent.objects.count()
        results = {"intake": meter.measure("intake", intakes, intake)}
        results["intake"]["events_written"] = round(
            (DossierEvent.objects.count() - events_before) / intakes, 2
        )
        results["event"] = meter.measure("event", min(events, len(sealed)), event)
        results["login"] = meter.measure("login", logins, login)
        results["baseline"] = baseline_inserts(server, max(intakes, 200), side)
        connection.close()
    base = results["baseline"]
    for name in ("intake", "event", "login"):
        item = results[name]
        item["db_cpu_over_insert"] = round(item["db_cpu_ms"] / max(base["db_cpu_ms"], 1e-6), 1)
        item["wal_over_insert"] = round(item["wal_bytes"] / max(base["wal_bytes"], 1), 1)
        item["bytes_over_insert"] = round(item["bytes"] / max(base["bytes"], 1), 1)
    return results


# -- the national model ----------------------------------------------------------------------


def erlang_c(servers: int, load: float) -> float:
    """The chance that an arrival waits, for `servers` cores offered `load` erlangs."""
    if load >= servers:
        return 1.0
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= load / k
        total += term
    term *= load / servers
    last = term * servers / (servers - load)
    return last / (total + last)


def cores_for(load: float, wait_chance: float = 0.05) -> int:
    servers = max(1, math.ceil(load))
    while erlang_c(servers, load) > wait_chance:
        servers += 1
    return servers


def national_model(costs: dict, args: argparse.Namespace) -> dict:
    per_day = args.dossiers_per_year / args.working_days
    peak_day = per_day * args.peak_day_factor
    peak_hour_intakes = peak_day * args.peak_hour_share
    events_per_dossier = costs["intake"]["events_written"] + args.later_events
    year = {
        "dossiers": args.dossiers_per_year,
        "events": round(args.dossiers_per_year * events_per_dossier),
        "logins": round(args.logins_per_dossier * args.dossiers_per_year),
    }

    def total(field: str, intakes: float) -> float:
        return (
            intakes * costs["intake"][field]
            + intakes * args.later_events * costs["event"][field]
            + intakes * args.logins_per_dossier * costs["login"][field]
        )

    peak_cpu_s = total("db_cpu_ms", peak_hour_intakes) / 1000
    load = peak_cpu_s / 3600  # erlangs: cores busy on average in the peak hour
    app_load = total("app_cpu_ms", peak_hour_intakes) / 1000 / 3600
    yearly_bytes = total("bytes", args.dossiers_per_year)
    usable = args.primary_cores * args.primary_utilisation
    growth: list[dict] = []
    outgrown = None
    for factor in (1, 2, 5, 10, 20, 50, 100, 200):
        needed = cores_for(load * factor)
        wal_mb_s = total("wal_bytes", peak_hour_intakes * factor) / 3600 / 1e6
        fits = needed <= usable and wal_mb_s <= args.wal_ceiling_mb_s
        # Citus distributed by province: the largest province's share lands on one worker.
        largest = cores_for(load * factor * args.largest_province_share)
        growth.append(
            {
                "factor": factor,
                "cores_needed": needed,
                "app_cores_needed": cores_for(app_load * factor),
                "peak_wal_mb_s": round(wal_mb_s, 2),
                "one_primary_suffices": fits,
                "citus_largest_province_worker_cores": largest,
            }
        )
        if not fits and outgrown is None:
            outgrown = factor

    def first_factor(fits: Callable[[int], bool]) -> int | None:
        return next((f for f in range(1, 1001) if not fits(f)), None)

    limits = {
        "cpu": first_factor(lambda f: cores_for(load * f) <= usable),
        "wal": first_factor(
            lambda f: (
                total("wal_bytes", peak_hour_intakes * f) / 3600 / 1e6 <= args.wal_ceiling_mb_s
            )
        ),
    }
    return {
        "assumptions": {
            key: getattr(args, key)
            for key in (
                "dossiers_per_year",
                "working_days",
                "peak_day_factor",
                "peak_hour_share",
                "later_events",
                "logins_per_dossier",
                "primary_cores",
                "primary_utilisation",
                "wal_ceiling_mb_s",
                "largest_province_share",
                "replicas",
                "storage_ceiling_tb",
            )
        },
        "year": {
            **year,
            "table_bytes": round(total("bytes", args.dossiers_per_year)),
            "table_gb": round(total("bytes", args.dossiers_per_year) / 1e9, 1),
            "wal_gb": round(total("wal_bytes", args.dossiers_per_year) / 1e9, 1),
            # The primary, each replica, and the base backups and archived WAL of the
            # retention window are copies of the same bytes.
            "stored_gb_with_replicas": round(yearly_bytes * (1 + args.replicas) / 1e9, 1),
            # Years of history one primary's disk holds before its size, not its CPU, is
            # what calls for another node.
            # (None when a run too small to move the tables' size measured no bytes.)
            "years_on_one_primary": (
                round(args.storage_ceiling_tb * 1e12 / yearly_bytes, 1) if yearly_bytes else None
            ),
        },
        "peak": {
            "average_day_intakes": round(per_day),
            "peak_day_intakes": round(peak_day),
            "peak_hour_intakes": round(peak_hour_intakes),
            "peak_hour_intakes_per_s": round(peak_hour_intakes / 3600, 2),
            "peak_hour_db_cpu_s": round(peak_cpu_s, 1),
            "peak_hour_db_cores_busy": round(load, 3),
            "peak_hour_app_cores_busy": round(app_load, 3),
            "peak_hour_wal_mb_s": round(total("wal_bytes", peak_hour_intakes) / 3600 / 1e6, 3),
        },
        "growth": growth,
        "one_primary_outgrown_at_factor": outgrown,
        # The smallest growth factor each limit of one primary is passed at.
        "first_factor_past": limits,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", help="a running PostgreSQL (default: a cluster of its own)")
    parser.add_argument("--intakes", type=int, default=200)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--logins", type=int, default=60)
    parser.add_argument("--dossiers-per-year", type=int, default=33_000_000)
    # Offices open Monday to Friday and Saturday morning: about 250 full days and 50 half.
    parser.add_argument("--working-days", type=int, default=275)
    # The first working days after Tết and the last days of a month or quarter.
    parser.add_argument("--peak-day-factor", type=float, default=3.0)
    # Counters fill from opening: the busiest hour takes a fifth of the day.
    parser.add_argument("--peak-hour-share", type=float, default=0.2)
    # After the intake: agency receipt, processing, result, hand-back, delivery...
    parser.add_argument("--later-events", type=float, default=6.0)
    parser.add_argument("--logins-per-dossier", type=float, default=0.5)
    parser.add_argument("--primary-cores", type=int, default=64)
    parser.add_argument("--primary-utilisation", type=float, default=0.6)
    # One WAL stream: what one primary writes, and a standby replays, comfortably.
    parser.add_argument("--wal-ceiling-mb-s", type=float, default=100.0)
    # Hồ Chí Minh City after the 2025 merger of provinces: the largest of 34.
    parser.add_argument("--largest-province-share", type=float, default=0.14)
    parser.add_argument("--replicas", type=int, default=1)
    # What one server's local NVMe holds with room for vacuum, reindexing and a restore.
    parser.add_argument("--storage-ceiling-tb", type=float, default=10.0)
    parser.add_argument(
        "--model-only", action="store_true", help="the model only, on the last run's costs"
    )
    args = parser.parse_args()

    def run(server: str, shared: bool) -> dict:
        pg.recreate(server, DB)
        try:
            costs = measure_operations(server, args.intakes, args.events, args.logins)
        finally:
            pg.drop(server, DB)
        costs["wal_includes_other_clients"] = shared
        return costs

    started = time.time()
    if args.model_only:
        # The model again, on the costs of the last run (other assumptions).
        last = json.loads((ROOT / "bench" / "results" / "national.json").read_text())
        costs = last["measured"]
        started -= last["seconds"]
    elif args.server:
        costs = run(args.server.rstrip("/"), True)
    else:
        with own_cluster() as server:
            costs = run(server, False)
    result = {
        "measured": costs,
        "model": national_model(costs, args),
        "seconds": round(time.time() - started, 1),
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "national.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
