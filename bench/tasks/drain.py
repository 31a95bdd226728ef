"""One task worker draining the queue, as `manage.py db_worker --queue-name '*' --batch`
runs it, measured from inside: wall time, the process's CPU, the CPU of its PostgreSQL
backend (the same machine: /proc) and the SQL statements it sent.

Run by run.py as: python bench/tasks/drain.py [--profile FILE]
Prints JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")
os.environ.setdefault("POSTGOV_ENV", "development")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    """utime + stime of a process on this machine, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    pg_before = backend_cpu(backend)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        if profiler:
            profiler.enable()
        call_command(
            "db_worker",
            queue_name="*",
            batch=True,
            interval=0,
            startup_delay=False,
            reload=False,
            stdout=io.StringIO(),
        )
        if profiler:
            profiler.disable()
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    # The worker keeps its connection (CONN_MAX_AGE): the same backend did all the work.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        same_backend = cursor.fetchone()[0] == backend
    pg_cpu = backend_cpu(backend) - pg_before if same_backend else None
    if profiler:
        profiler.dump_stats(args.profile)
    return {
        "seconds": seconds,
        "cpu_s": (cpu_after.ru_utime - cpu_before.ru_utime)
        + (cpu_after.ru_stime - cpu_before.ru_stime),
        "postgres_backend_cpu_s": pg_cpu,
        "statements": statements,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
