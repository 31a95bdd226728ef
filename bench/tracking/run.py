#!/usr/bin/env python
"""Public tracking lookups over HTTP at a country's scale, as ratios to the same run's
baselines.

1. Fills `pg_tracking_bench` (or BENCH_TRACKING_DB) with `--scale` × 1,000,000 dossiers
   and ten times as many events, with the agency benchmark's generator (COPY in committed
   batches: stop it and run it again, it carries on; `--keep` keeps the database for the
   next run, which then only measures).
2. Starts gunicorn (`--workers` × `--threads`, Redis as the shared cache, as deployed,
   behind one trusted proxy) and runs `--clients` load processes for `--seconds` each:
   - the bare view `/healthz` through the same server and clients;
   - the lookup as a citizen makes it: the dossier code and the last four digits of the
     phone, POSTed to `/track/` (CSRF token and all), each from its own address (the
     X-Forwarded-For the proxy would add), with the real limits in force: lookups per
     client and minute, digit guesses per code and hour, the anomaly brake;
   - the same lookup by the QR code's token (`GET /track/?code=…&t=…`);
   and, through psycopg, a bare primary-key SELECT of a dossier, from one connection (as
   the agency benchmark measures it) and from `--clients` connections at once.
3. Reports lookups/s, p50/p99, the SQL statements and the server's CPU per lookup, the
   ratios to the baselines, and whether the goal (1,000 lookups/s, p99 under 50 ms) is
   met. Writes `bench/results/tracking.json`.

Usage: python bench/tracking/run.py [--scale 0.05] [--seconds 15] [--clients 6]
       [--workers 3] [--threads 1] [--keep]
Needs PostgreSQL on 127.0.0.1:5432 (BENCH_PG to change it) and Redis (BENCH_REDIS).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_TRACKING_DB", "pg_tracking_bench")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")
FULL = 1_000_000
GOAL_PER_S, GOAL_P99_MS = 1000, 50

import psycopg  # noqa: E402

from bench import pg  # noqa: E402
from bench.agency import run as agency  # noqa: E402
from bench.intake.run import free_port, postgres_cpu_seconds, tree_cpu_seconds  # noqa: E402
from bench.server import start_gunicorn  # noqa: E402

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def sample(n: int) -> list[dict]:
    """Random dossiers a citizen follows: code, last four digits, the QR code's token."""
    from postgov.dossiers.models import Dossier
    from postgov.lib import tracking_links

    top = Dossier.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rng = random.Random(7)
    rows = Dossier.objects.filter(pk__in=[rng.randint(1, top) for _ in range(n)]).values_list(
        "pk", "code", "applicant_phone"
    )
    return [
        {"code": code, "digits": phone[-4:], "token": tracking_links.token_for(pk)}
        for pk, code, phone in rows
    ]


# -- load ------------------------------------------------------------------------------------


def _address(rng: random.Random) -> str:
    # Each lookup from a citizen's own address, as the proxy reports it: the per-client
    # limit is in force but counts each of them separately, as it would in the country.
    return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _client(args) -> dict:
    port, flow, seconds, seed, targets = args
    cpu_started = time.process_time()
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"X-Forwarded-For": _address(rng)}
    if flow == "code":
        conn.request("GET", "/track/", headers=headers)
        response = conn.getresponse()
        body = response.read()
        cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
        csrf = CSRF_FIELD.search(body).group(1).decode()
    times: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.time() + seconds
    while time.time() < stop:
        target = rng.choice(targets)
        headers = {"X-Forwarded-For": _address(rng)}
        started = time.perf_counter()
        if flow == "bare":
            conn.request("GET", "/healthz", headers=headers)
        elif flow == "token":
            query = urlencode({"code": target["code"], "t": target["token"]})
            conn.request("GET", "/track/?" + query, headers=headers)
        else:
            body = urlencode(
                {
                    "csrfmiddlewaretoken": csrf,
                    "code": target["code"],
                    "phone_last4": target["digits"],
                }
            )
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
            conn.request("POST", "/track/", body=body, headers=headers)
        response = conn.getresponse()
        page = response.read()
        times.append(time.perf_counter() - started)
        status = response.status
        if status == 200 and flow != "bare" and target["code"].encode() not in page:
            status = 0  # a page without the dossier is not a lookup
        statuses[status] = statuses.get(status, 0) + 1
    conn.close()
    # The load generator shares the machine's cores with the server: its own CPU per
    # request says how much of the machine the measurement itself takes.
    return {"times": times, "statuses": statuses, "cpu": time.process_time() - cpu_started}


def load(port: int, flow: str, clients: int, seconds: float, targets, server_pid) -> dict:
    cpu_before, pg_before = tree_cpu_seconds(server_pid), postgres_cpu_seconds_of_db()
    statements_before = statements_sent()
    started = time.perf_counter()
    with multiprocessing.Pool(clients) as pool:
        parts = pool.map(
            _client, [(port, flow, seconds, 1000 * n + len(flow), targets) for n in range(clients)]
        )
    elapsed = time.perf_counter() - started
    times = [t for part in parts for t in part["times"]]
    statuses: dict[int, int] = {}
    for part in parts:
        for status, n in part["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    done = len(times)
    return {
        "per_second": round(done / seconds, 1),
        "p50_ms": round(statistics.median(times) * 1000, 2),
        "p99_ms": round(percentile(times, 0.99) * 1000, 2),
        "requests": done,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "server_cpu_ms_per_request": round(
            (tree_cpu_seconds(server_pid) - cpu_before) * 1000 / max(done, 1), 2
        ),
        "postgres_cpu_ms_per_request": round(
            (postgres_cpu_seconds_of_db() - pg_before) * 1000 / max(done, 1), 2
        ),
        "statements_per_request": round((statements_sent() - statements_before) / max(done, 1), 2),
        "client_cpu_ms_per_request": round(
            sum(part["cpu"] for part in parts) * 1000 / max(done, 1), 2
        ),
        "wall_seconds": round(elapsed, 1),
    }


def postgres_cpu_seconds_of_db() -> float:
    import bench.intake.run as intake

    intake.DB = DB  # the helper reads the database name from its module
    return postgres_cpu_seconds()


STATEMENTS_FILE = os.path.join(tempfile.gettempdir(), f"{DB}-statements")


def statements_sent() -> int:
    with open(STATEMENTS_FILE, "rb") as counter:
        return int.from_bytes(counter.read(8), "little")


def _pk_client(args) -> list[float]:
    seconds, top, seed = args
    rng = random.Random(seed)
    times = []
    with psycopg.connect(f"{SERVER}/{DB}") as conn:
        stop = time.time() + seconds
        while time.time() < stop:
            started = time.perf_counter()
            conn.execute(
                "SELECT * FROM dossiers_dossier WHERE id = %s", [rng.randint(1, top)]
            ).fetchone()
            times.append(time.perf_counter() - started)
    return times


def pk_select(clients: int, seconds: float, top: int) -> dict:
    with multiprocessing.Pool(clients) as pool:
        parts = pool.map(_pk_client, [(seconds, top, n) for n in range(clients)])
    times = [t for part in parts for t in part]
    return {
        "per_second": round(len(times) / seconds, 1),
        "p50_ms": round(statistics.median(times) * 1000, 3),
        "p99_ms": round(percentile(times, 0.99) * 1000, 3),
    }


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{DB}",
        "REDIS_URL": REDIS,
        "TRUSTED_PROXIES": "1",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "600",
        "PORTAL_SIMULATOR": "false",
        "BENCH_STATEMENTS_FILE": STATEMENTS_FILE,
    }
    config = ROOT / "bench" / "intake" / "gunicorn_counting.py"
    return start_gunicorn(port, workers, threads, env, ["--config", str(config)])


def flush_counters() -> None:
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def main(argv) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.05, help="1 = 1M dossiers, 10M events")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    total = int(FULL * args.scale)
    pg.ensure(SERVER, DB)
    pg.setup_django(SERVER, DB)
    refs = agency.reference()
    # The agency benchmark's share of open dossiers (a tenth, with fewer events).
    agency.OPEN_AT_AGENCY = total // 10
    print(f"generating up to {total:,} dossiers", flush=True)
    generated = agency.generate(total, refs)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM dossiers_dossier")
        dossiers, top = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM dossiers_dossierevent")
        events = cursor.fetchone()[0]
    print(f"data: {dossiers:,} dossiers, {events:,} events", flush=True)
    targets = sample(args.sample)
    connection.close()
    flush_counters()
    port = free_port()
    server = start_server(port, args.workers, args.threads)
    results: dict = {}
    try:
        # Warm every worker and the database's cache of the sampled rows' pages.
        load(port, "code", args.clients, 3, targets, server.pid)
        flush_counters()
        results["pk_select_one_connection"] = pk_select(1, args.seconds / 2, top)
        results["pk_select"] = pk_select(args.clients, args.seconds, top)
        results["bare_view"] = load(port, "bare", args.clients, args.seconds, targets, server.pid)
        for flow in ("code", "token"):
            flush_counters()
            results[flow] = load(port, flow, args.clients, args.seconds, targets, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=20)
    code = results["code"]
    report = {
        "dossiers": dossiers,
        "events": events,
        "generation_seconds": round(generated, 1),
        "server": f"gunicorn {args.workers} workers x {args.threads} threads, Redis cache",
        "clients": args.clients,
        "machine": f"{os.cpu_count()} cores shared by server, PostgreSQL, Redis and clients",
        **results,
        "ratios": {
            "code_over_pk_select_one_connection": round(
                code["per_second"] / results["pk_select_one_connection"]["per_second"], 3
            ),
            "code_over_pk_select": round(
                code["per_second"] / results["pk_select"]["per_second"], 3
            ),
            "code_over_bare_view": round(
                code["per_second"] / results["bare_view"]["per_second"], 3
            ),
            "token_over_bare_view": round(
                results["token"]["per_second"] / results["bare_view"]["per_second"], 3
            ),
            "code_p99_over_bare_view_p99": round(
                code["p99_ms"] / results["bare_view"]["p99_ms"], 2
            ),
        },
        "goal": {
            "per_second": GOAL_PER_S,
            "p99_ms": GOAL_P99_MS,
            "met": code["per_second"] >= GOAL_PER_S and code["p99_ms"] < GOAL_P99_MS,
        },
    }
    print(json.dumps(report, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "tracking.json").write_text(json.dumps(report, indent=2))
    if not args.keep:
        pg.drop(SERVER, DB)
        print(f"dropped {DB}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
