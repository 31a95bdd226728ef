"""The task workers' share of the deployment (decision 0031): their commits do not wait for
the disk (DB_SYNCHRONOUS_COMMIT=off, the worker's unit and compose service only), and
there are enough of them for the web processes they serve (docs/operations.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.db import connection

from deploy import units

ROOT = Path(__file__).resolve().parent.parent
SERVICES = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())["services"]
# Task workers per web process (operations.md, "How many task workers").
WORKERS_PER_WEB = 2


def test_only_the_workers_commit_without_waiting_for_the_disk():
    worker = units.environment(units.read("postgov-worker.service"))
    web = units.environment(units.read("postgov-web.service"))
    assert worker["DB_SYNCHRONOUS_COMMIT"] == "off"
    assert "DB_SYNCHRONOUS_COMMIT" not in web
    assert SERVICES["worker"]["environment"]["DB_SYNCHRONOUS_COMMIT"] == "off"
    assert "DB_SYNCHRONOUS_COMMIT" not in SERVICES["web"]["environment"]
    # The worker's service keeps everything the others get (secrets, database, cache).
    for name, value in SERVICES["web"]["environment"].items():
        if name not in ("PROMETHEUS_MULTIPROC_DIR", "GUNICORN_WORKERS"):
            assert SERVICES["worker"]["environment"][name] == value, name


def test_compose_runs_enough_workers_for_its_web_containers():
    web = SERVICES["web"]["deploy"]["replicas"]
    assert SERVICES["worker"]["deploy"]["replicas"] >= WORKERS_PER_WEB * web


def _settings_in_a_process(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 — our own interpreter and code
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "postgov.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_wrong_value_is_refused_at_start():
    done = _settings_in_a_process({"DB_SYNCHRONOUS_COMMIT": "sometimes"}, "pass")
    assert done.returncode != 0
    assert "DB_SYNCHRONOUS_COMMIT" in done.stderr


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_setting_reaches_the_database_session():
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    url = (
        f"postgres://{db.get('USER') or 'postgres'}{password}@"
        f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )
    show = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('SHOW synchronous_commit'); print(c.fetchone()[0])"
    )
    worker = _settings_in_a_process({"DATABASE_URL": url, "DB_SYNCHRONOUS_COMMIT": "off"}, show)
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert worker.stdout.split()[-1] == "off"
    web = _settings_in_a_process({"DATABASE_URL": url, "DB_SYNCHRONOUS_COMMIT": ""}, show)
    assert web.stdout.split()[-1] == "on"
