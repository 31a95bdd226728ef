#!/usr/bin/env python
"""Benchmark of the waiting room on PostgreSQL: 20 counters of one post office calling
"call next" at once while 5 waiting-room screens poll their board.

1. Creates `pg_queues_bench` (or BENCH_QUEUES_DB), migrates it, and sets up one post
   office with one queue service, 20 counters, 5 display screens and enough tickets.
2. Measures, in the same run and with the same threads (each a Django test client with its
   own database connection, through the real middleware and views):
   - the baselines: a bare primary-key SELECT through psycopg, and the bare view
     (`GET /healthz`) called by 20 threads while the 5 screens poll;
   - "call next": 20 threads, one per counter, each logged in as a clerk of the point
     (with the second factor staff pages require), POSTing `step=call_next` then
     `step=end` to `/queues/counters/<pk>/step/` in a loop, while 5 threads poll
     `/queues/display/<token>/` as the screen's htmx does;
   - p50/p95/p99 of call-next and of the board, each as a ratio to the bare view's p95.
3. Checks that no ticket was called twice (one CALLED event per ticket, every ticket
   called by exactly one counter) and that every call left the line in order.
4. Drops the database (unless --keep).

Goal: p95 of call-next under 100 ms on the reference machine.

Usage: python bench/queues/run.py [--keep] [--calls N]
Needs PostgreSQL on 127.0.0.1:5432 (BENCH_PG=postgres://user@host:port to change it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_QUEUES_DB", "pg_queues_bench")
COUNTERS = 20
SCREENS = 5
SCREEN_POLL_S = 0.5

import psycopg  # noqa: E402


def admin_connection():
    return psycopg.connect(f"{SERVER}/postgres", autocommit=True)


def create_database() -> None:
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')


def drop_database() -> None:
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


def setup_django():
    os.environ["DATABASE_URL"] = f"{SERVER}/{DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("PORTAL_SIMULATOR", "false")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def world(tickets: int):
    """One post office, one service, 20 counters, a clerk, 5 screens, `tickets` tickets."""
    from django.utils import timezone

    from postgov.identity.models import Role, RoleAssignment, User
    from postgov.identity.otp import new_totp_device
    from postgov.places.models import Commune, Province, ServicePoint
    from postgov.queues import actions
    from postgov.queues.models import Counter, QueueService

    province = Province.objects.create(code="44", name="Tỉnh Quảng Trị", short_name="Quảng Trị")
    commune = Commune.objects.create(
        code="19333", province=province, name="Phường Đông Hà", short_name="Đông Hà", kind="ward"
    )
    point = ServicePoint.objects.create(
        code="BENCH",
        name="Bưu điện Đông Hà",
        kind="po1",
        address="1 Trần Hưng Đạo",
        commune=commune,
    )
    service = QueueService.objects.create(
        service_point=point, letter="A", kind="administrative", target_minutes=15
    )
    counters = []
    for number in range(1, COUNTERS + 1):
        counter = Counter.objects.create(service_point=point, number=number)
        counter.services.add(service)
        counters.append(counter)
    clerk = User.objects.create(username="bench_clerk", full_name="Nguyễn Thị Lan")
    device = new_totp_device(clerk, "bench")
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    RoleAssignment.objects.create(user=clerk, role=Role.CLERK, service_point=point)
    tokens = [actions.create_screen(point, f"Màn hình {n}")[1] for n in range(SCREENS)]
    for _ in range(tickets):
        actions.issue_ticket(service)
    return point, counters, clerk, tokens


def staff_client(user):
    from tests.clients import PostGovClient

    client = PostGovClient()
    client.force_login(user)
    return client


def pk_select_baseline(rounds: int = 2000) -> list[float]:
    with psycopg.connect(f"{SERVER}/{DB}", autocommit=True) as conn:
        row = conn.execute("SELECT min(id) FROM queues_ticket").fetchone()
        pk = row[0] if row else 1
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            conn.execute("SELECT * FROM queues_ticket WHERE id = %s", [pk]).fetchone()
            times.append(time.perf_counter() - start)
    return times


def pct(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def screens_polling(tokens, stop: threading.Event, times: list[float]) -> list[threading.Thread]:
    from django.db import connection
    from django.test import Client

    def poll(token: str) -> None:
        client = Client()
        url = f"/queues/display/{token}/"
        try:
            while not stop.is_set():
                start = time.perf_counter()
                response = client.get(url, headers={"HX-Request": "true"})
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
                stop.wait(SCREEN_POLL_S)
        finally:
            connection.close()

    threads = [threading.Thread(target=poll, args=(t,), daemon=True) for t in tokens]
    for thread in threads:
        thread.start()
    return threads


def run_counters(clerk, counters, calls: int, work) -> tuple[list[float], list[str]]:
    """COUNTERS threads, each doing `work(client, counter, i)` `calls` times, started
    together; returns the timings of what `work` measures and any errors."""
    from django.db import connection

    barrier = threading.Barrier(len(counters))
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    # Logged in one after the other, before the clock starts: a login is not what is measured.
    clients = {counter.pk: staff_client(clerk) for counter in counters}
    connection.close()

    def worker(counter) -> None:
        try:
            client = clients[counter.pk]
            barrier.wait()
            mine = []
            for i in range(calls):
                mine.append(work(client, counter, i))
            with lock:
                times.extend(t for t in mine if t is not None)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in counters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, errors


def bare_view(client, counter, i) -> float:
    start = time.perf_counter()
    response = client.get("/healthz")
    elapsed = time.perf_counter() - start
    assert response.status_code == 200
    return elapsed


def call_next_and_end(client, counter, i) -> float:
    url = f"/queues/counters/{counter.pk}/step/"
    start = time.perf_counter()
    response = client.post(url, {"step": "call_next"})
    elapsed = time.perf_counter() - start
    assert response.status_code == 302, response.status_code
    response = client.post(url, {"step": "end"})
    assert response.status_code == 302, response.status_code
    return elapsed


def check_no_ticket_called_twice(expected_calls: int) -> dict:
    from django.db.models import Count

    from postgov.queues.models import Ticket, TicketEvent

    called = TicketEvent.objects.filter(kind=TicketEvent.Kind.CALLED)
    twice = called.values("ticket_id").annotate(n=Count("id")).filter(n__gt=1).count()
    done = Ticket.objects.filter(state=Ticket.State.DONE).count()
    # Tickets are called in line order: the called ones are exactly the first `done`.
    numbers = sorted(
        Ticket.objects.filter(state=Ticket.State.DONE).values_list("number", flat=True)
    )
    in_order = numbers == list(range(1, done + 1))
    return {
        "calls": called.count(),
        "tickets_called_twice": twice,
        "tickets_done": done,
        "expected_calls": expected_calls,
        "called_in_line_order": in_order,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--calls", type=int, default=15, help="calls per counter")
    args = parser.parse_args(argv)
    create_database()
    try:
        setup_django()
        point, counters, clerk, tokens = world(COUNTERS * args.calls)
        select_times = pk_select_baseline()

        stop = threading.Event()
        board_base: list[float] = []
        pollers = screens_polling(tokens, stop, board_base)
        bare_times, bare_errors = run_counters(clerk, counters, args.calls, bare_view)
        stop.set()
        for thread in pollers:
            thread.join()

        stop = threading.Event()
        board_times: list[float] = []
        pollers = screens_polling(tokens, stop, board_times)
        started = time.perf_counter()
        call_times, call_errors = run_counters(clerk, counters, args.calls, call_next_and_end)
        wall = time.perf_counter() - started
        stop.set()
        for thread in pollers:
            thread.join()

        check = check_no_ticket_called_twice(COUNTERS * args.calls)
        bare_p95 = pct(bare_times, 95)
        result = {
            "counters": COUNTERS,
            "screens": SCREENS,
            "calls_per_counter": args.calls,
            "baseline_pk_select_p95_ms": round(pct(select_times, 95) * 1000, 3),
            "baseline_bare_view_p50_ms": round(pct(bare_times, 50) * 1000, 2),
            "baseline_bare_view_p95_ms": round(bare_p95 * 1000, 2),
            "call_next_p50_ms": round(pct(call_times, 50) * 1000, 1),
            "call_next_p95_ms": round(pct(call_times, 95) * 1000, 1),
            "call_next_p99_ms": round(pct(call_times, 99) * 1000, 1),
            "call_next_p95_over_bare_view_p95": round(pct(call_times, 95) / bare_p95, 1),
            "call_next_p95_over_pk_select_p95": round(
                pct(call_times, 95) / pct(select_times, 95), 0
            ),
            "calls_per_s": round(len(call_times) / wall, 1),
            "board_p95_ms": round(pct(board_times, 95) * 1000, 1),
            "board_p95_over_bare_view_p95": round(pct(board_times, 95) / bare_p95, 1),
            "board_polls": len(board_times),
            "goal_call_next_p95_under_100ms": pct(call_times, 95) < 0.100,
            "errors": bare_errors + call_errors,
            **check,
        }
        print(json.dumps(result, indent=2, ensure_ascii=False))
        (ROOT / "bench" / "results").mkdir(exist_ok=True)
        (ROOT / "bench" / "results" / "queues.json").write_text(json.dumps(result, indent=2))
        ok = (
            not result["errors"]
            and check["tickets_called_twice"] == 0
            and check["calls"] == check["expected_calls"]
            and check["called_in_line_order"]
        )
        return 0 if ok else 1
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
