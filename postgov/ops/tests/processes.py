"""Real processes for the fault tests: a task worker and gunicorn on the test's database,
a session cookie for a clerk, and waiting for a condition."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def database_url(settings_dict: dict | None = None) -> str:
    db = settings_dict or connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db.get('USER') or 'postgres'}{password}@{db.get('HOST') or '127.0.0.1'}"
        f":{db.get('PORT') or 5432}/{db['NAME']}"
    )


def environment(url: str | None = None, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "POSTGOV_ENV": "development",
        "DATABASE_URL": url or database_url(),
        # The same generated secrets: sealed values (webhook secrets) open in both.
        "POSTGOV_DATA_DIR": str(settings.DATA_DIR),
        "OUTBOUND_ALLOW_PRIVATE": "true",
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("TASKS_IMMEDIATE", None)
    env.pop("REDIS_URL", None)
    return env


def worker(url: str | None = None) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 — our own interpreter and code
        [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.1"],
        cwd=ROOT,
        env=environment(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(port: int, *, workers: int = 2, url: str | None = None, log=None) -> subprocess.Popen:
    """gunicorn on the loopback, answering once /healthz does (or failing the test)."""
    server = subprocess.Popen(  # noqa: S603 — our own interpreter and code
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "postgov.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            "2",
            "--worker-class",
            "gthread",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment(url, DB_CONN_MAX_AGE="60"),
        stdout=log or subprocess.DEVNULL,
        stderr=log or subprocess.DEVNULL,
        start_new_session=True,
    )
    wait(lambda: _answers(port), 120, "gunicorn to answer")
    return server


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def gunicorn_workers(master: subprocess.Popen) -> list[int]:
    """The worker processes of a gunicorn master (its children), from /proc."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


def staff_session(user) -> str:
    """A session key for `user` as after a login with the second factor."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from postgov.identity import authn

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    now = int(time.time())
    session[authn.AUTH] = {
        "time": now,
        "amr": ["mfa", "otp", "pwd"],
        "mfa_time": now,
        "sid": None,
        "via": "test",
        "level_cap": 2,
    }
    session.create()
    return session.session_key or ""


def wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)
