#!/usr/bin/env python
"""Keying under load, on PostgreSQL: 20 operators at once, each a thread with its own
database connection and its own signed-in test client (the whole middleware stack, the
real views), in a project of N records waiting to be keyed twice.

Each operator asks for a record once (POST keying_next), then loops as the page does: the
keying page (GET), five field saves (POST keying_field, as keying.js sends on leaving a
field, with its keystrokes) and the submission (POST keying_submit), which finds and claims
the next record itself and redirects to it. "Next record" is timed where it runs: the
calls of `actions.next_keying` inside those views. Reported: p50 / p95 / p99 of each, and
the same figures for two baselines measured in the same run, with the same 20 threads:
  - a bare view through the same stack (GET /healthz/, no query of the registers),
  - a primary-key SELECT of a record (the ORM alone, no HTTP),
with the ratios of "next record" and "field save" p95 to the bare view's p95. Queries
per request (the mean over every operator's requests, counted with CaptureQueriesContext)
say where the time goes, and so does the CPU time of each request's own thread (not the
wall time: the same work whatever else runs on the machine). Goal: p95 < 100 ms for
"next record" and for "field save".

Usage: .venv/bin/python bench/registers/keying_load.py [--operators 20] [--records 4000]
       [--seconds 30]  (BENCH_PG to point at another server, BENCH_KEYING_DB for the name)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import threading
import time
import traceback
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB = os.environ.get("BENCH_KEYING_DB", "pg_registers_keying_bench")
os.environ["DATABASE_URL"] = f"{PG}/{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")

GOAL_P95_MS = 100
# A whole record of the population schema (the commune is the test world's).
VALUES = {
    "full_name": "Nguyễn Văn An",
    "birth_date": "12/5/1985",
    "gender": "male",
    "id_number": "045085000123",
    "ethnicity": "01",
    "home_commune": "Đông Hà",
    "household_head": "head",
    "phone": "0912 345 678",
}
SAVED = ("full_name", "birth_date", "gender", "id_number", "home_commune")
MIDDLE = ("Văn", "Hữu", "Đức", "Minh", "Quang", "Thành", "Công", "Xuân")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Sơn")


def values_of(record: int) -> dict[str, str]:
    """A record's values, different for each record (identical ones would all be
    duplicates of one another, and each settlement would open a candidate)."""
    return {
        **VALUES,
        "full_name": f"Nguyễn {MIDDLE[record % 8]} {GIVEN[record // 8 % 11]}",
        "birth_date": f"{record % 28 + 1}/{record // 28 % 12 + 1}/1985",
        "id_number": f"045085{record:06d}",
    }


def admin(sql: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def figures(times: list[float]) -> dict[str, float]:
    return {
        "n": len(times),
        "p50_ms": round(percentile(times, 0.50) * 1000, 1),
        "p95_ms": round(percentile(times, 0.95) * 1000, 1),
        "p99_ms": round(percentile(times, 0.99) * 1000, 1),
    }


def set_up(records: int, operators: int):
    """A project of `records` records in one batch (rows written directly: the scans are
    not what is measured) and `operators` operators; returns (project, operators)."""
    from django.core.management import call_command

    from postgov.identity.models import Role
    from postgov.registers import actions, schemas
    from postgov.registers.models import Batch, Membership, Record
    from tests.personas import build_world, give_role, make_user

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    world = build_world()
    ready = schemas.ready_schema("population")
    manager = world.provincial_admin
    project = actions.create_project(
        by=manager,
        name="Sổ hộ khẩu (benchmark)",
        kind=ready["kind"],
        province=world.province,
        fields=ready["fields"],
        sample_percent=0,
    )
    schema = project.current_schema()
    batch = Batch.objects.create(
        project=project,
        label="Quyển 1",
        source_name="bench.pdf",
        pages=records,
        created_by=manager,
    )
    Record.objects.bulk_create(
        Record(project=project, batch=batch, number=n, schema=schema) for n in range(1, records + 1)
    )
    people = []
    for i in range(operators):
        user = make_user(f"op{i:02d}", f"Người nhập {i:02d}")
        give_role(user, Role.CLERK, service_point=world.point_a)
        actions.add_member(project, user=user, role=Membership.Role.OPERATOR, by=manager)
        people.append(user)
    return project, people


def run(project, people, seconds: float, show_queries: bool = False) -> dict:
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from postgov.registers import actions
    from tests.clients import PostGovClient

    times: dict[str, list[float]] = {
        "next": [],
        "next_first": [],
        "next_request": [],
        "page": [],
        "field": [],
        "submit": [],
        "bare": [],
        "pk": [],
    }
    queries: dict[str, list[int]] = {
        "next_request": [],
        "page": [],
        "field": [],
        "submit": [],
        "bare": [],
    }
    # The CPU time of the request's own thread: what a request costs, whatever the load
    # around it (the wall time of twenty threads on a shared machine says more about it).
    cpu_seconds: dict[str, list[float]] = {name: [] for name in queries}
    lock = threading.Lock()
    errors: list[str] = []
    stop = time.monotonic() + seconds
    start_line = threading.Barrier(len(people))
    next_url = reverse("registers:keying_next", args=[project.pk])

    # "Next record" is `actions.next_keying` inside the views that call it (the submission
    # and "Key the next record"): timed where it runs, under the same load.
    real_next = actions.next_keying

    # The first ask of each operator comes all at once (twenty people starting together):
    # counted apart from the steady state, where a submission asks for the next.
    starting = threading.local()

    def next_keying(*args, **kwargs):
        began = time.perf_counter()
        try:
            return real_next(*args, **kwargs)
        finally:
            name = "next_first" if getattr(starting, "first", False) else "next"
            with lock:
                times[name].append(time.perf_counter() - began)

    actions.next_keying = next_keying

    def timed(name: str, counted: bool, call, *args):
        if counted:
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                cpu = time.thread_time()
                answer = call(*args)
                cpu = time.thread_time() - cpu
                elapsed = time.perf_counter() - began
            with lock:
                queries[name].append(len(captured.captured_queries))
                cpu_seconds[name].append(cpu)
                if show_queries and len(queries[name]) == 2:
                    print(f"-- {name}:", *(q["sql"][:300] for q in captured), sep="\n  ")
        else:
            began = time.perf_counter()
            answer = call(*args)
            elapsed = time.perf_counter() - began
        with lock:
            times[name].append(elapsed)
        return answer

    def operator(i: int) -> None:
        from postgov.registers.models import Keying, Record

        client = PostGovClient()
        client.force_login(people[i])
        # every operator counts its queries and CPU (the same small cost on each request,
        # and no one operator's figures depend on its luck at the start)
        counted = True
        start_line.wait()
        try:
            # The first record comes from "Key the next record"; each submission then
            # finds the next one itself (the view calls actions.next_keying) and redirects.
            starting.first = True
            answer = timed("next_request", counted, client.post, next_url)
            starting.first = False
            while time.monotonic() < stop:
                found = re.search(r"/keying/(\d+)/", answer.get("Location", ""))
                if found is None:
                    if answer.status_code != 302:
                        raise RuntimeError(f"asking for a record answered {answer.status_code}")
                    return  # nothing left to key
                keying = int(found.group(1))
                values = values_of(
                    Keying.objects.values_list("record_id", flat=True).get(pk=keying)
                )
                timed("page", counted, client.get, answer["Location"])
                field_url = reverse("registers:keying_field", args=[keying])
                for key in SAVED:
                    report = {"key": key, "value": values[key], "keystrokes": "12"}
                    saved = timed("field", counted, client.post, field_url, report)
                    if saved.status_code != 200:
                        raise RuntimeError(f"field save answered {saved.status_code}")
                submit_url = reverse("registers:keying_submit", args=[keying])
                answer = timed("submit", counted, client.post, submit_url, values)
                if answer.status_code != 302:
                    raise RuntimeError(f"submission answered {answer.status_code}")
                # the baselines, interleaved so they share the same load
                timed("bare", True, client.get, "/healthz")
                timed("pk", False, Record.objects.filter(pk=keying % 1000 + 1).first)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            errors.append(f"operator {i}: {exc!r}"[:300])
            if len(errors) == 1:
                traceback.print_exc()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=operator, args=(i,)) for i in range(len(people))]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    actions.next_keying = real_next
    result = {name: figures(values) for name, values in times.items()}
    for name, counts in queries.items():
        result[name]["queries_per_request"] = round(statistics.mean(counts), 1) if counts else None
        cpu = cpu_seconds[name]
        result[name]["cpu_ms_per_request"] = round(statistics.mean(cpu) * 1000, 1) if cpu else None
    result["records_keyed_per_s"] = round(len(times["submit"]) / elapsed, 1)
    result["errors"] = errors[:5]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operators", type=int, default=20)
    parser.add_argument("--records", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--show-queries", action="store_true", help="print each request's SQL")
    args = parser.parse_args()

    admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin(f"CREATE DATABASE {DB}")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    # the test client's host, and no throttling of one office's twenty people
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    print(f"database {DB}: {args.records} records, {args.operators} operators…", flush=True)
    project, people = set_up(args.records, args.operators)
    connections.close_all()
    result = run(project, people, args.seconds, args.show_queries)
    bare = result["bare"]["p95_ms"] or 1e-6
    summary = {
        "operators": args.operators,
        "records": args.records,
        "seconds": args.seconds,
        **result,
        "next_p95_ratio_to_bare_view": round(result["next"]["p95_ms"] / bare, 1),
        "field_p95_ratio_to_bare_view": round(result["field"]["p95_ms"] / bare, 1),
        "goal_p95_ms": GOAL_P95_MS,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(summary, indent=1), flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "registers-keying-load.json").write_text(json.dumps(summary, indent=1))
    connections.close_all()
    if not args.keep:
        admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    return 0 if not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
