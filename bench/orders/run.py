#!/usr/bin/env python
"""Postal orders and State mail on PostgreSQL.

1. Result-delivery orders created by an agency's system through the API
   (`POST /api/v1/agency/orders`, one request per order, decision 0016), with the load of
   the intake benchmark (its fixture, gunicorn set-up and clients: `bench/intake/run.py`),
   against the counter's one-request JSON intake measured in the same run on the same
   server: the figure is the ratio of the two rates, and each rate is also given against
   that benchmark's own baselines (raw INSERT+COMMIT, a bare view).
2. Custody events of State mail per second (`bench/orders/custody.py`: offer, seal check
   and the guard's signature, one event per hand, single-threaded in one process)
   against raw single-row INSERT+COMMIT through psycopg on one connection, measured just
   before and after in the same run.

Usage: python bench/orders/run.py [--clients 4] [--seconds 20] [--workers 4]
       [--custody-seconds 10] [--items 20] [--keep]
Needs PostgreSQL on 127.0.0.1:5432 (BENCH_PG to change); uses its own database
pg_orders_bench (BENCH_ORDERS_DB to change), dropped afterwards (--keep to keep it).
Writes bench/results/orders.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
ROOT = Path(__file__).resolve().parents[2]
# The intake benchmark's machinery, on this benchmark's own database.
os.environ["BENCH_INTAKE_DB"] = os.environ.get("BENCH_ORDERS_DB", "pg_orders_bench")
_spec = importlib.util.spec_from_file_location("intake_bench", ROOT / "bench/intake/run.py")
intake = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(intake)


def custody(env: dict, seconds: float, items: int) -> dict:
    before = intake.baseline_inserts(1, 3)
    out = subprocess.run(
        [intake.PYTHON, str(Path(__file__).with_name("custody.py")), str(seconds), str(items)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    after = intake.baseline_inserts(1, 3)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    baseline = (before + after) / 2
    result["custody_events_per_s"] = round(result["custody_events_per_s"], 1)
    result["baseline_insert_commit_per_s_1_conn"] = round(baseline)
    result["custody_events_per_s_over_inserts_per_s"] = round(
        result["custody_events_per_s"] / baseline, 4
    )
    result["insert_commits_per_custody_event_equivalent"] = round(
        baseline / result["custody_events_per_s"], 1
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--custody-seconds", type=float, default=10)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--cache",
        default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15"),
        help="REDIS_URL for the server's cache; 'db' for the database cache",
    )
    args = parser.parse_args()
    # What intake.measure reads of its own options.
    args.mode, args.with_pdf, args.agencies = "orders", False, 1

    data_dir = tempfile.mkdtemp(prefix="bench-orders-")
    env = {
        **os.environ,
        "DATABASE_URL": intake.DATABASE_URL,
        "POSTGOV_DATA_DIR": data_dir,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "postgov.settings",
        "BENCH_STATEMENTS_FILE": os.path.join(data_dir, "statements"),
        "DB_CONN_MAX_AGE": "36000",
        # No portal: an order is checked against the post's own records only.
        "PORTAL_SIMULATOR": "false",
        "PORTAL_URL": "",
    }
    if args.cache != "db":
        env["REDIS_URL"] = args.cache
    print(f"preparing {intake.DB} for {args.clients} clients…", flush=True)
    fixture = intake.prepare(args.clients, args.agencies, env)
    port = intake.free_port()
    server = intake.start_server(port, args.workers, args.threads, env)
    try:
        measured = intake.measure(args, fixture, env, port, server)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"custody events for {args.custody_seconds:.0f} s…", flush=True)
    state_mail = custody(env, args.custody_seconds, args.items)
    if not args.keep:
        intake.admin(f"DROP DATABASE IF EXISTS {intake.DB} WITH (FORCE)")
    report = {
        "orders_per_s": measured["orders"]["intakes_per_s"],
        "api_intakes_per_s": measured["api"]["intakes_per_s"],
        "orders_per_s_over_api_intakes_per_s": measured.get("orders_per_s_over_api_intakes_per_s"),
        "orders": measured["orders"],
        "api_intakes": measured["api"],
        "baselines": {k: v for k, v in measured.items() if k not in ("orders", "api")},
        "state_mail": state_mail,
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "orders.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    errors = measured["orders"]["error_count"] + measured["api"]["error_count"]
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
