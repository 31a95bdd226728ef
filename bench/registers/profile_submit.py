#!/usr/bin/env python
"""Where a keying submission's CPU goes: two operators key the same records (the first
entry, then the second, which agrees and settles the record and checks it against the clean
register), each submission through the test client (the whole middleware stack, the real
view) under cProfile, on PostgreSQL. Prints the CPU time and the statements of a first and
of a second entry, and the functions that cost most.

Usage: .venv/bin/python bench/registers/profile_submit.py [--records 200] [--top 30]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POSTGOV_ENV", "development")
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_KEYING_PROFILE_DB", "pg_registers_keying_profile")

from bench import pg  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    pg.recreate(SERVER, DB)
    try:
        pg.setup_django(SERVER, DB)
        from django.conf import settings
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        from bench.registers.keying_load import values_of
        from postgov.registers.models import Keying
        from tests.clients import PostGovClient

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        from bench.registers.keying_load import set_up

        project, people = set_up(args.records, 2)
        profiles = {1: cProfile.Profile(), 2: cProfile.Profile()}
        cpu: dict[int, list[float]] = {1: [], 2: []}
        statements: dict[int, list[int]] = {1: [], 2: []}
        clients = []
        for person in people:
            client = PostGovClient()
            client.force_login(person)
            clients.append(client)
        answers = [c.post(reverse("registers:keying_next", args=[project.pk])) for c in clients]
        for _ in range(args.records - 2):
            for n, client in enumerate(clients):
                keying = Keying.objects.get(
                    pk=int(answers[n]["Location"].rstrip("/").split("/")[-1])
                )
                values = values_of(keying.record_id)
                url = reverse("registers:keying_submit", args=[keying.pk])
                with CaptureQueriesContext(connection) as captured:
                    began = time.thread_time()
                    profiles[keying.slot].enable()
                    answers[n] = client.post(url, values)
                    profiles[keying.slot].disable()
                    cpu[keying.slot].append(time.thread_time() - began)
                assert answers[n].status_code == 302, answers[n].status_code
                statements[keying.slot].append(len(captured.captured_queries))
        for slot in (1, 2):
            print(
                f"entry {slot}: {len(cpu[slot])} submissions, CPU "
                f"{statistics.median(cpu[slot]) * 1000:.1f} ms median, "
                f"{statistics.mean(cpu[slot]) * 1000:.1f} ms mean, "
                f"{statistics.mean(statements[slot]):.1f} statements"
            )
        if os.environ.get("SHOW_SQL"):
            with CaptureQueriesContext(connection) as captured:
                for n, client in enumerate(clients):
                    keying = Keying.objects.get(
                        pk=int(answers[n]["Location"].rstrip("/").split("/")[-1])
                    )
                    client.post(
                        reverse("registers:keying_submit", args=[keying.pk]),
                        values_of(keying.record_id),
                    )
            for q in captured.captured_queries:
                print("  ", q["sql"][:220])
        for slot in (1, 2):
            print(f"\n== entry {slot}")
            pstats.Stats(profiles[slot]).sort_stats("cumulative").print_stats(args.top)
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        pg.drop(SERVER, DB)


if __name__ == "__main__":
    sys.exit(main())
