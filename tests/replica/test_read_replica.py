# ruff: noqa: S603 — the PostgreSQL programs found below, with arguments made here
"""The report pages read from a real streaming replica: a primary cluster and its standby
(pg_basebackup -R) started on free ports for this test, Django run against both."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from postgov.dossiers.models import Dossier
from postgov.lib.replica import ReplicaRouter, lagging_reads

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"), Path("/usr/local/bin"))
IN_CI = os.environ.get("CI", "").lower() == "true"


def _binary(name: str) -> str | None:
    for directory in BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    return shutil.which(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _run(command: list[str], **kwargs) -> None:
    subprocess.run(_as_server_user(command), check=True, capture_output=True, timeout=60, **kwargs)


def _start(pg_ctl: str, data: Path, port: int, sockets: Path) -> None:
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={sockets} "
        "-c wal_level=replica -c max_wal_senders=4 -c fsync=off -c shared_buffers=16MB"
    )
    _run([pg_ctl, "-D", str(data), "-o", options, "-l", str(data / "server.log"), "-w", "start"])


@pytest.fixture
def primary_and_standby(django_db_setup, django_db_blocker) -> Iterator[tuple[str, str]]:
    tools = {
        name: _binary(name) for name in ("initdb", "pg_ctl", "pg_basebackup", "pg_dump", "psql")
    }
    missing = sorted(name for name, path in tools.items() if path is None)
    if missing:
        message = f"PostgreSQL server programs not found: {', '.join(missing)}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    base = Path(tempfile.mkdtemp(prefix="postgov-replica-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    primary, standby = base / "primary", base / "standby"
    ports = _free_port(), _free_port()
    started: list[Path] = []
    try:
        _run(
            [
                tools["initdb"],
                "-D",
                str(primary),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ]
        )
        _start(tools["pg_ctl"], primary, ports[0], base)
        started.append(primary)
        # The schema and reference rows of the test database, migrated once for the suite.
        with django_db_blocker.unblock():
            source = connection.settings_dict
        primary_url = f"postgres://postgres@127.0.0.1:{ports[0]}"
        subprocess.run(
            [tools["psql"], f"{primary_url}/postgres", "-qc", "CREATE DATABASE postgov"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        dump = subprocess.run(
            [
                tools["pg_dump"],
                "--no-owner",
                "-h",
                source.get("HOST") or "127.0.0.1",
                "-p",
                str(source.get("PORT") or 5432),
                "-U",
                source.get("USER") or "postgres",
                source["NAME"],
            ],
            check=True,
            capture_output=True,
            timeout=60,
        ).stdout
        subprocess.run(
            [tools["psql"], "-q", "-v", "ON_ERROR_STOP=1", f"{primary_url}/postgov"],
            input=dump,
            check=True,
            capture_output=True,
            timeout=60,
        )
        _run(
            [
                tools["pg_basebackup"],
                "-h",
                "127.0.0.1",
                "-p",
                str(ports[0]),
                "-U",
                "postgres",
                "-D",
                str(standby),
                "-R",
                "-X",
                "stream",
                "--checkpoint=fast",
                "--no-sync",
            ]
        )
        _start(tools["pg_ctl"], standby, ports[1], base)
        started.append(standby)
        yield f"{primary_url}/postgov", f"postgres://postgres@127.0.0.1:{ports[1]}/postgov"
    finally:
        for data in reversed(started):
            _run([tools["pg_ctl"], "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)


def test_report_pages_read_from_the_replica_and_nothing_is_written_there(primary_and_standby):
    primary, standby = primary_and_standby
    env = {
        **os.environ,
        "DATABASE_URL": primary,
        "DATABASE_REPLICA_URL": standby,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "POSTGOV_ENV": "development",
    }
    probe = subprocess.run(
        [sys.executable, "-m", "tests.replica.probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    found = json.loads(probe.stdout.strip().splitlines()[-1])

    assert found["replica_in_recovery"] is True
    assert found["default_in_recovery"] is False
    assert found["dashboard_status"] == 200
    assert found["dashboard_reads_on_replica"] > 0
    assert found["dashboard_dossier_reads_on_primary"] == 0
    # Pages that act on the current state stay on the primary, and so does every write.
    assert found["reconciliation_status"] == 200
    assert found["reconciliation_reads_on_replica"] == 0
    assert found["writes_on_replica"] == []
    # Replay paused: the lagging reads are the standby's, a dossier behind the primary.
    assert found["count_on_lagging_reads"] == found["count_on_primary"] - 1


def test_without_a_replica_every_read_stays_on_the_primary(db):
    with lagging_reads():
        assert ReplicaRouter().db_for_read(Dossier) is None
    assert ReplicaRouter().db_for_write(Dossier) == "default"
