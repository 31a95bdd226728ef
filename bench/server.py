"""The benchmarks' gunicorn: PostGov's WSGI application on a local port, started and
waited for until its bare view answers."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    port: int, workers: int, threads: int, env: dict, options: Sequence[str] = ()
) -> subprocess.Popen:
    """gunicorn with `workers` × `threads` on 127.0.0.1:`port` and `env`, once `/healthz`
    answers 200 (`options`: more of gunicorn's command-line options)."""
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "postgov.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--log-level",
        "warning",
        *options,
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    server.terminate()
    raise RuntimeError("gunicorn did not start")
