#!/usr/bin/env python
"""Where a counter's steps spend their CPU and statements: "call next", "end", the
counter page the browser loads after each (it follows the step's redirect) and the
waiting-line poll the page makes every 10 s, each through Django's whole WSGI stack
(middleware, view, template) in this process, with Redis as the shared cache as the
queue benchmark's gunicorn has it, without HTTP.

Makes its own database (`pg_queues_profile`, or BENCH_QUEUES_PROFILE_DB) with one post
office, one counter and enough tickets, and drops it at the end. Prints, per kind of
request, CPU milliseconds and SQL statements per request, then (with --profile) the
profile's top functions for one kind.

Usage: python bench/queues/profile_step.py [--n 300]
       [--profile call_next|end|page|call_next_htmx|end_htmx|line]
       [--sort cumulative|tottime] [--top 40]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POSTGOV_ENV", "development")
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_QUEUES_PROFILE_DB", "pg_queues_profile")
REDIS = os.environ.get("BENCH_QUEUES_REDIS", "redis://127.0.0.1:6379/13")
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
COOKIE = re.compile(r"(sessionid|csrftoken)=([^;]+)")

from bench import pg  # noqa: E402


def environ(method: str, path: str, body: bytes = b"", **headers) -> dict:
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        "CONTENT_LENGTH": str(len(body)),
    }
    env.update(headers)
    return env


def main(argv) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300, help="call-next/end pairs per run")
    parser.add_argument(
        "--profile", choices=("call_next", "end", "page", "call_next_htmx", "end_htmx", "line")
    )
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    os.environ.update({"REDIS_URL": REDIS, "DB_CONN_MAX_AGE": "600", "LOG_LEVEL": "WARNING"})
    pg.recreate(SERVER, DB)
    try:
        pg.setup_django(SERVER, DB)
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        pg.drop(SERVER, DB)


def run(args) -> int:
    import redis
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from bench.queues.run import staff_session, world

    # Three warm-up rounds and two timed ones (one plain, one under the profiler).
    _point, counters, clerk, _tokens = world(args.n * 7 + 10)
    redis.Redis.from_url(REDIS).flushdb()
    session = staff_session(clerk)
    counter = counters[0]
    app = WSGIHandler()
    cookies = {"sessionid": session}
    statuses: dict[str, int] = defaultdict(int)

    def request(method: str, path: str, form: dict | None = None, **headers) -> bytes:
        seen: list[str] = []

        def start_response(status, response_headers, exc_info=None):
            seen.append(status)
            for name, value in response_headers:
                if name.lower() == "set-cookie":
                    for key, found in COOKIE.findall(value):
                        cookies[key] = found

        body = urlencode(form).encode() if form is not None else b""
        extra = {"HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in cookies.items()), **headers}
        if form is not None:
            extra["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        response = app(environ(method, path, body, **extra), start_response)
        content = b"".join(response)
        response.close()
        statuses[f"{method} {seen[0]}"] += 1
        return content

    page_url = f"/queues/counters/{counter.pk}/"
    step_url = f"/queues/counters/{counter.pk}/step/"
    csrf = CSRF_FIELD.search(request("GET", page_url)).group(1).decode()

    def step(name: str, htmx: bool) -> bytes:
        headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "desk"} if htmx else {}
        return request("POST", step_url, {"step": name, "csrfmiddlewaretoken": csrf}, **headers)

    kinds = {
        "call_next": lambda: step("call_next", False),
        "end": lambda: step("end", False),
        "page": lambda: request("GET", page_url),
        "call_next_htmx": lambda: step("call_next", True),
        "end_htmx": lambda: step("end", True),
        "line": lambda: request("GET", page_url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="line"),
    }
    # A counter's work as its browser does it. Without script: call, the page the redirect
    # leads to, end, the page again. With the page's htmx: call and end answer the desk
    # alone. And the page's poll of the waiting line.
    flows = {
        "plain": ("call_next", "page", "end", "page"),
        "htmx": ("call_next_htmx", "end_htmx", "line"),
    }
    cpu: dict[str, float] = defaultdict(float)
    statements: dict[str, int] = defaultdict(int)
    current = [""]

    def count(execute, sql, params, many, context):
        statements[current[0]] += 1
        return execute(sql, params, many, context)

    def one_round(profiler: cProfile.Profile | None = None) -> None:
        # A counter's work as its browser does it: call, see the page, end, see the page,
        # and the page's poll of the waiting line.
        for _ in range(args.n):
            for kind in flows["plain"] + flows["htmx"]:
                current[0] = kind
                on = profiler is not None and kind == args.profile
                if on:
                    profiler.enable()
                started = time.thread_time()
                kinds[kind]()
                cpu[kind] += time.thread_time() - started
                if on:
                    profiler.disable()

    with connection.execute_wrapper(count):
        one_round()  # warm: imports, templates, connections
        cpu.clear()
        statements.clear()
        one_round()
    counts = {kind: args.n for kind in kinds}
    counts["page"] = 2 * args.n
    print(f"load average {os.getloadavg()}")
    for kind, n in counts.items():
        print(
            f"{kind:10} {cpu[kind] * 1000 / n:6.2f} ms CPU/request "
            f"{statements[kind] / n:5.2f} statements/request"
        )
    for flow, steps in flows.items():
        print(
            f"{flow} flow, per call-next and end: "
            f"{sum(cpu[k] for k in dict.fromkeys(steps)) * 1000 / args.n:.2f} ms CPU, "
            f"{sum(statements[k] for k in dict.fromkeys(steps)) / args.n:.2f} statements"
        )
    print("statuses:", dict(statuses))
    if args.profile:
        # CPU time, not wall time: on a shared machine waits would swamp the picture.
        profiler = cProfile.Profile(time.thread_time)
        one_round(profiler)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
