#!/usr/bin/env python
"""Where one tracking lookup's CPU goes: a few hundred lookups through Django's whole WSGI
stack (middleware, view, limits, template) in this process, under cProfile.

Runs against the tracking benchmark's database (`bench/tracking/run.py --keep` filled
it) with Redis as the shared cache, as the benchmark's gunicorn does, without HTTP. Prints
the wall time per lookup without the profiler, then the profile's top functions.

Usage: python bench/tracking/profile_lookup.py [--flow code|token|bare] [--n 400]
       [--repeat] [--sort cumulative|tottime] [--top 40]
`--repeat` looks the same few dossiers up again and again (their timelines cached);
without it each lookup is of another dossier, as in the benchmark.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POSTGOV_ENV", "development")
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_TRACKING_DB", "pg_tracking_bench")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")


def setup() -> None:
    os.environ.update(
        {
            "DATABASE_URL": f"{SERVER}/{DB}",
            "REDIS_URL": REDIS,
            "TRUSTED_PROXIES": "1",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "DB_CONN_MAX_AGE": "600",
            "PORTAL_SIMULATOR": "false",
            "DJANGO_SETTINGS_MODULE": "postgov.settings",
        }
    )
    import django

    django.setup()


def environ(method: str, path: str, query: str = "", body: bytes = b"", **headers) -> dict:
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
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
    for name, value in headers.items():
        env[name] = value
    return env


def main(argv) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flow", default="code", choices=("code", "token", "bare"))
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--repeat", action="store_true")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    setup()
    import redis
    from django.core.handlers.wsgi import WSGIHandler

    from bench.tracking.run import CSRF_FIELD, sample

    targets = sample(args.n)
    if args.repeat:
        targets = targets[:5]
    app = WSGIHandler()
    rng = random.Random(3)
    status_seen: dict[str, int] = {}

    def start_response(status, headers, exc_info=None):
        status_seen[status] = status_seen.get(status, 0) + 1

    def address() -> str:
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"

    page = b"".join(app(environ("GET", "/track/", HTTP_X_FORWARDED_FOR=address()), start_response))
    csrf = CSRF_FIELD.search(page).group(1).decode()
    cookie = f"csrftoken={csrf}"

    def one(target: dict) -> None:
        forwarded = address()
        if args.flow == "bare":
            env = environ("GET", "/healthz", HTTP_X_FORWARDED_FOR=forwarded)
        elif args.flow == "token":
            query = urlencode({"code": target["code"], "t": target["token"]})
            env = environ("GET", "/track/", query, HTTP_X_FORWARDED_FOR=forwarded)
        else:
            body = urlencode(
                {
                    "csrfmiddlewaretoken": csrf,
                    "code": target["code"],
                    "phone_last4": target["digits"],
                }
            ).encode()
            env = environ(
                "POST",
                "/track/",
                body=body,
                CONTENT_TYPE="application/x-www-form-urlencoded",
                HTTP_COOKIE=cookie,
                HTTP_X_FORWARDED_FOR=forwarded,
            )
        response = app(env, start_response)
        b"".join(response)
        response.close()

    def run() -> float:
        redis.Redis.from_url(REDIS).flushdb()
        started = time.process_time()
        for n in range(args.n):
            one(targets[n % len(targets)])
        return time.process_time() - started

    run()  # warm: imports, templates, connections
    plain = run()
    # CPU time, not wall time: on a shared machine waits would swamp the picture.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    run()
    profiler.disable()
    print(f"{args.flow}: {plain * 1000 / args.n:.2f} ms of CPU per request (no profiler)")
    print("statuses:", status_seen)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
