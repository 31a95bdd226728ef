"""PostgreSQL stopped for a few seconds and started again under load: while it is down every
request is answered 503 with a Retry-After (problem details for the API, a page in the
request's language otherwise; never a 500), /readyz says not ready, and once it is back the
same gunicorn processes answer again, reconnecting on their own. Clerks whose intakes were
refused send them again with the same token: none is lost and none is made twice.

The test starts its own PostgreSQL cluster (initdb, pg_ctl) on a free port in a temporary
directory, loaded with a copy of the test's database: the machine's server is not touched."""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from contextlib import suppress
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from postgov.ops.tests import processes
from postgov.ops.unavailable import RETRY_AFTER
from tests.factories import make_intake_catalog

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CLERKS = 3
TRACKERS = 2
DOWN_SECONDS = 4
CSRF = "k" * 32
BIN_DIRS = ["/usr/lib/postgresql/15/bin", "/usr/local/bin", "/usr/bin"]


def _bin(name: str) -> str | None:
    for directory in BIN_DIRS:
        path = Path(directory, name)
        if path.exists():
            return str(path)
    return shutil.which(name)


class Cluster:
    """A throw-away PostgreSQL cluster. As root it runs as the `postgres` account (the
    server refuses to run as root)."""

    def __init__(self):
        initdb, self.pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if not (initdb and self.pg_ctl):
            pytest.skip("initdb and pg_ctl are not installed")
        self.as_user: list[str] = []
        self.dir = Path(tempfile.mkdtemp(prefix="postgov-pg-"))
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                pytest.skip("running as root without runuser to start PostgreSQL")
            self.as_user = [runuser, "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")
        self.port = processes.free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgov"
        self.run(
            initdb, "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync", "--locale=C.UTF-8",
        )  # fmt: skip

    def run(self, *command: str) -> None:
        subprocess.run(  # noqa: S603 — PostgreSQL's own tools
            [*self.as_user, *command],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(self.pg_ctl, "-D", str(self.dir / "data"), "-l", str(self.dir / "log"),
                 "-o", options, "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self.run(self.pg_ctl, "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with suppress(subprocess.CalledProcessError):  # not running
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    made = Cluster()
    made.start()
    yield made
    made.remove()


def _copy_test_database(url: str) -> None:
    """The test's database (migrated, with the personas and the catalog), into `url`."""
    source = processes.database_url()
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute("CREATE DATABASE postgov")
    dump = subprocess.run(  # noqa: S603
        [_bin("pg_dump") or "pg_dump", "-Fc", "-d", source],
        check=True,
        capture_output=True,
        timeout=300,
    ).stdout
    subprocess.run(  # noqa: S603
        [_bin("pg_restore") or "pg_restore", "--no-owner", "-d", url],
        input=dump,
        check=True,
        capture_output=True,
        timeout=300,
    )


class Answers:
    """Every answer seen, by phase (before, down, after)."""

    def __init__(self):
        self.phase = "before"
        self.lock = threading.Lock()
        self.by_phase: dict[str, list[tuple[int, dict, bytes]]] = defaultdict(list)
        self.cut = 0  # connections cut without an answer (never expected: gunicorn lives)

    def add(self, status: int, headers: dict, body: bytes) -> None:
        with self.lock:
            self.by_phase[self.phase].append((status, headers, body))


def _request(port: int, method: str, path: str, answers: Answers, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
    except (OSError, http.client.HTTPException):
        with answers.lock:
            answers.cut += 1
        return None
    finally:
        conn.close()
    result = (response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    answers.add(*result)
    return result


class Clerk(threading.Thread):
    def __init__(self, port, session, commune, stop, answers, items):
        super().__init__(daemon=True)
        self.port, self.session, self.commune = port, session, commune
        self.stop, self.answers, self.items = stop, answers, items
        self.answered: dict[str, int] = {}
        self.refused = 0
        self.failure = ""

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            token = str(uuid.uuid4())
            body = json.dumps(
                {
                    "token": token,
                    "procedure": "1.004227",
                    "applicant": {
                        "name": "Trần Thị Bình",
                        "id_number": f"045191{n:06d}",
                        "birth_date": "1991-04-20",
                        "gender": "female",
                        "phone": "0905 123 456",
                        "address": "Thôn Tân Định",
                        "commune": self.commune,
                    },
                    "documents": [
                        {"position": 1, "form": "original", "pages": 2},
                        {"position": 2, "form": "copy", "pages": 1},
                    ],
                    "payment": {"method": "cash"},
                }
            ).encode()
            headers = {
                "Content-Type": "application/json",
                "Cookie": f"sessionid={self.session}; csrftoken={CSRF}",
                "X-CSRFToken": CSRF,
                "Accept-Language": "en",
            }
            deadline = time.monotonic() + 120
            while True:
                got = _request(
                    self.port, "POST", "/api/v1/dossiers/intakes", self.answers, body, headers
                )
                if got is not None and got[0] in (200, 201):
                    out = json.loads(got[2])
                    self.answered[token] = out["id"]
                    self.items.extend(out["items"])
                    break
                if got is not None and got[0] != 503:
                    self.failure = f"HTTP {got[0]}: {got[2][:300]!r}"
                    return
                if time.monotonic() > deadline:
                    self.failure = "no answer for two minutes"
                    return
                self.refused += 1
                # Told to come back after Retry-After seconds; sooner here, to keep it short.
                time.sleep(0.3)


class Tracker(threading.Thread):
    def __init__(self, port, stop, answers, items):
        super().__init__(daemon=True)
        self.port, self.stop, self.answers, self.items = port, stop, answers, items

    def run(self):
        while not self.stop.is_set():
            if not self.items:
                time.sleep(0.1)
                continue
            item = random.choice(self.items)  # noqa: S311 — a pick, not a secret
            _request(self.port, "GET", f"/api/v1/track/{item}", self.answers)
            time.sleep(0.05)


def _failed(clerks) -> list[str]:
    return [c.failure for c in clerks if c.failure]


def _count(clerks) -> int:
    return sum(len(c.answered) for c in clerks)


def test_postgresql_restarted_under_load(world, cluster):
    make_intake_catalog(world)
    session = processes.staff_session(world.clerk_a)
    _copy_test_database(cluster.url)
    port = processes.free_port()
    server = processes.gunicorn(port, workers=2, url=cluster.url)
    workers_before = set(processes.gunicorn_workers(server))
    stop = threading.Event()
    answers = Answers()
    items: list[str] = []
    clerks = [
        Clerk(port, session, world.commune_a.code, stop, answers, items) for _ in range(CLERKS)
    ]
    trackers = [Tracker(port, stop, answers, items) for _ in range(TRACKERS)]
    probes = {}
    try:
        for thread in (*clerks, *trackers):
            thread.start()
        processes.wait(lambda: _count(clerks) >= 6 or _failed(clerks), 120, "intakes")
        assert not _failed(clerks)

        cluster.stop()
        answers.phase = "down"
        started = time.monotonic()
        probes["readyz"] = _request(port, "GET", "/readyz", answers)
        probes["page_en"] = _request(
            port, "GET", "/catalog/", answers, headers={"Accept-Language": "en"}
        )
        probes["page_vi"] = _request(
            port, "GET", "/catalog/", answers, headers={"Accept-Language": "vi"}
        )
        time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - started)))
        answers.phase = "restarting"
        cluster.start()
        answers.phase = "after"
        back = _count(clerks)
        processes.wait(lambda: _count(clerks) >= back + 6 or _failed(clerks), 120, "intakes")
        probes["ready_again"] = _request(port, "GET", "/readyz", answers)
    finally:
        stop.set()
        for thread in (*clerks, *trackers):
            thread.join(timeout=150)
        workers_after = set(processes.gunicorn_workers(server))
        processes.stop(server)

    assert not _failed(clerks)
    # While it was down: 503 with Retry-After, in the request's language; never a 500.
    down = answers.by_phase["down"]
    assert down, "no request reached the server while the database was down"
    for status, headers, body in down:
        assert status < 500 or status == 503, (status, body[:300])
        if status == 503:
            assert headers.get("retry-after") == str(RETRY_AFTER), (headers, body[:500])
            assert b"Traceback" not in body
    refusals = [(h, b) for s, h, b in down if s == 503]
    assert refusals and sum(c.refused for c in clerks) > 0
    for headers, body in refusals:
        if headers["content-type"] == "application/problem+json":
            assert json.loads(body)["status"] == 503
    readyz = probes["readyz"]
    assert readyz[0] == 503 and json.loads(readyz[2])["status"] == "unavailable"
    assert probes["page_en"][0] == 503 and b"Briefly unavailable" in probes["page_en"][2]
    assert probes["page_vi"][0] == 503
    assert "Tạm thời gián đoạn" in probes["page_vi"][2].decode()
    # No answer at all was a server error, in any phase; the same processes served on.
    assert not [s for phase in answers.by_phase.values() for s, _h, _b in phase if s == 500]
    assert answers.cut == 0
    assert probes["ready_again"][0] == 200
    assert workers_after == workers_before
    tracked = [s for s, h, b in answers.by_phase["after"] if s == 200]
    assert tracked

    # Nothing lost, nothing doubled.
    answered = {token: pk for c in clerks for token, pk in c.answered.items()}
    with psycopg.connect(cluster.url) as db:
        rows = db.execute("SELECT intake_token::text, id, status, code FROM dossiers_dossier")
        dossiers = rows.fetchall()
    assert {token: pk for token, pk, _s, _c in dossiers} == answered
    assert all(status == "sealed" and code for _t, _p, status, code in dossiers)
    series = defaultdict(list)
    for _t, _p, _s, code in dossiers:
        prefix, _, number = code.rpartition("-")
        series[prefix].append(int(number))
    for numbers in series.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))

    verified = subprocess.run(  # noqa: S603 — our own interpreter and code
        [sys.executable, "manage.py", "audit_verify", "--keyed-from", "1"],
        cwd=processes.ROOT,
        env=processes.environment(cluster.url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert connection.vendor == "postgresql"
