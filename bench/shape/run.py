#!/usr/bin/env python
"""The deployment shape under a mixed load: two web processes and two workers on one
PostgreSQL database, Redis as the cache, for ten minutes.

The processes are started with the commands of the systemd units (deploy/systemd, read by
deploy/units.py): `gunicorn postgov.wsgi -c deploy/gunicorn.conf.py` twice, each on its
own port (GUNICORN_BIND), with the unit's environment, and `manage.py db_worker
--queue-name '*' --interval 1` twice (`--workers`), with its unit's environment. Cron's
jobs (`check_sla --enqueue`, `update_rollups --enqueue`) are queued every minute instead
of every 15 and 5.

The load, open-loop (each kind paced at its target rate by a shared schedule; when the
server cannot keep up, the clients go as fast as it answers and the report says how far
the target was missed), split evenly over the two web processes as a proxy would:
- counter intakes: clerks logged in with the second factor, one JSON request each
  (`POST /api/v1/dossiers/intakes`, the intake benchmark's clerks, bench/intake);
- public tracking lookups (`GET /api/v1/track/<code>`): a dossier sealed during the run
  by its code and the phone's last four digits, or one of its postal items by its number,
  each from its own citizen address (X-Forwarded-For behind one trusted proxy, as
  deployed behind nginx), within the per-code limits;
- agency API calls with the agency's API key: list new dossiers, read one, acknowledge
  one under the agency's own number (with an Idempotency-Key), order the delivery of a
  result (`POST /api/v1/agency/orders`).
Every sealed dossier and every order queues a webhook to the agency and an SMS to the
citizen: the benchmark's own HTTP receiver takes both and counts each delivery by its id.

Baselines of the same run, before and after the load: single-row INSERT+COMMIT through
psycopg (one connection and as many as clerks) and a bare view (`/healthz`) through the
same two web processes and clients.

Checked and reported: every answer that is not 2xx/3xx and every exception, by kind;
no task run twice (the task table records each worker that claimed a row; the SMS and
webhook receiver counts repeats; every message and delivery sent in one attempt); no gap
and no repeat in dossier codes; `audit_verify` at the end; the RSS of each process every
10 s (start, end, max, slope); p50/p95/p99 per kind of request; the CPU each part of the
shape spent (web, task workers, PostgreSQL, Redis, the benchmark), per request, and the
cores the same mix would need at the target rates.

Usage: python bench/shape/run.py [--minutes 10] [--intake-rate 100] [--clerks 16] [--workers 2]
Needs PostgreSQL on 127.0.0.1:5432 (BENCH_PG) and Redis (--redis, by default
redis://127.0.0.1:6379/9, emptied first). Database pg_shape_bench (BENCH_SHAPE_DB),
dropped at the end unless --keep. Writes bench/results/shape.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
DB = os.environ.get("BENCH_SHAPE_DB", "pg_shape_bench")
# The intake benchmark's machinery (clerks, baselines) works on this run's database.
os.environ["BENCH_INTAKE_DB"] = DB

import psycopg  # noqa: E402

from bench import pg  # noqa: E402
from bench.intake import run as intake  # noqa: E402
from bench.receiver import Receiver  # noqa: E402
from deploy import units  # noqa: E402

PG = intake.PG
PYTHON = sys.executable
SAMPLE_EVERY = 10.0


# -- the processes, as the systemd units start them ---------------------------------------


def start_web(number: int, port: int, env: dict, run_dir: Path) -> subprocess.Popen:
    unit = units.read("postgov-web.service")
    [argv] = units.commands(unit, root=ROOT)
    web_env = {
        **env,
        **units.environment(unit, run_dir / f"web{number}"),
        # The unit takes its socket from postgov-web.socket; two on one machine bind two ports.
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    log = run_dir / f"web{number}"
    log.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(  # noqa: S603 — the unit's own command
        argv,
        cwd=units.working_directory(unit, ROOT),
        env=web_env,
        stdout=(log / "access.log").open("wb"),
        stderr=(log / "error.log").open("wb"),
    )


def start_worker(number: int, env: dict, run_dir: Path) -> subprocess.Popen:
    unit = units.read("postgov-worker.service")
    [argv] = units.commands(unit, root=ROOT)
    log = run_dir / f"worker{number}.log"
    return subprocess.Popen(  # noqa: S603 — the unit's own command
        argv,
        cwd=units.working_directory(unit, ROOT),
        env={**env, **units.environment(unit)},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def wait_healthy(port: int, process: subprocess.Popen) -> None:
    """/healthz, then /readyz, each asked once at a time and waited for: a probe given up
    after a few seconds would stay queued for a worker that is still loading the app and
    pile up behind it (gunicorn then times the worker out)."""
    deadline = time.monotonic() + 300
    for path in ("/healthz", "/readyz"):
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the web process on port {port} ended ({process.returncode})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the web process on port {port} did not get ready")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                conn.request("GET", path)
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)


def manage(env: dict, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 — our own interpreter and code
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- CPU -------------------------------------------------------------------------------------


def process_table() -> dict[int, tuple[str, int, float]]:
    """Every process's name, parent and CPU seconds: its own user and system time and that
    of the children it has waited for (a gunicorn worker recycled after `max_requests`, a
    PostgreSQL backend that closed, cron's `manage.py` runs)."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                head, tail = stat.read().rsplit(")", 1)
        except OSError:
            continue
        fields = tail.split()
        seconds = sum(int(fields[i]) for i in (11, 12, 13, 14)) / tick
        table[int(entry)] = (head.split("(", 1)[1], int(fields[1]), seconds)
    return table


def tree_seconds(table: dict[int, tuple[str, int, float]], roots: set[int]) -> float:
    wanted, changed = set(roots), True
    while changed:
        changed = False
        for pid, (_name, parent, _cpu) in table.items():
            if parent in wanted and pid not in wanted:
                wanted.add(pid)
                changed = True
    return sum(table[pid][2] for pid in wanted if pid in table)


def cpu_seconds(webs: list[subprocess.Popen], workers: list[subprocess.Popen]) -> dict:
    """CPU seconds so far of each part of the shape on this machine: the two web processes
    (gunicorn masters and workers), the task workers, PostgreSQL (the whole cluster: the
    postmaster's own time, its live processes and the backends it has reaped), Redis, and
    this benchmark (its clients and cron's runs)."""
    table = process_table()
    roots = {
        name: {
            pid
            for pid, (comm, parent, _) in table.items()
            if comm == name and table.get(parent, ("",))[0] != name
        }
        for name in ("postgres", "redis-server")
    }
    own = os.times()
    return {
        "web": sum(tree_seconds(table, {web.pid}) for web in webs),
        "task workers": sum(tree_seconds(table, {worker.pid}) for worker in workers),
        "postgresql": tree_seconds(table, roots["postgres"]),
        "redis": tree_seconds(table, roots["redis-server"]),
        "benchmark (clients, cron)": own.user
        + own.system
        + own.children_user
        + own.children_system,
    }


def cpu_report(before: dict, after: dict, seconds: float, requests: int, target: float) -> dict:
    """Cores each part used from the start of the load to the end of the queue's drain,
    its CPU per request answered, and a linear estimate of the cores the same mix would
    need at the target rates (the CPU per request times the target)."""
    used = {part: after[part] - before[part] for part in before}
    per_request = {part: cpu * 1000 / max(requests, 1) for part, cpu in used.items()}
    server = [part for part in used if not part.startswith("benchmark")]
    server_ms = sum(per_request[part] for part in server)
    return {
        "seconds": round(seconds, 1),
        "cores_used": {part: round(cpu / seconds, 2) for part, cpu in used.items()},
        "cpu_ms_per_request": {part: round(ms, 2) for part, ms in per_request.items()},
        "server_cpu_ms_per_request": round(server_ms, 2),
        "cores_for_the_targets": {
            part: round(per_request[part] * target / 1000, 2) for part in server
        },
        "server_cores_for_the_targets": round(server_ms * target / 1000, 2),
    }


# -- memory ----------------------------------------------------------------------------------


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except OSError:
                continue
    return out


class Memory:
    """RSS of each process every 10 s: each web's master, its workers (each, and together)
    and each task worker."""

    def __init__(self, webs: list[subprocess.Popen], workers: list[subprocess.Popen]):
        self.webs, self.workers = webs, workers
        self.samples: dict[str, list[tuple[float, float]]] = {}
        self.start = time.perf_counter()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def sample(self) -> None:
        at = time.perf_counter() - self.start
        for number, web in enumerate(self.webs, 1):
            master = rss_mb(web.pid) or 0.0
            total = master
            for pid in children(web.pid):
                mb = rss_mb(pid)
                if mb is not None:
                    total += mb
                    self.samples.setdefault(f"web{number} worker pid {pid}", []).append((at, mb))
            self.samples.setdefault(f"web{number} master", []).append((at, master))
            self.samples.setdefault(f"web{number} (master + workers)", []).append((at, total))
        for number, worker in enumerate(self.workers, 1):
            mb = rss_mb(worker.pid)
            if mb is not None:
                self.samples.setdefault(f"task worker{number}", []).append((at, mb))

    def loop(self) -> None:
        while not self.stopped.wait(SAMPLE_EVERY):
            self.sample()

    def report(self) -> dict:
        out = {}
        for label, series in self.samples.items():
            values = [mb for _, mb in series]
            out[label] = {
                "samples": len(series),
                "start_mb": round(values[0], 1),
                "end_mb": round(values[-1], 1),
                "max_mb": round(max(values), 1),
                "slope_mb_per_min": slope(series),
                # The first minute fills caches and imports; after it, growth is a leak.
                "slope_after_first_minute_mb_per_min": slope([s for s in series if s[0] >= 60]),
            }
        return out


def slope(series: list[tuple[float, float]]) -> float | None:
    """Least-squares slope in MB per minute."""
    if len(series) < 3:
        return None
    xs = [t / 60 for t, _ in series]
    ys = [mb for _, mb in series]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if not var:
        return None
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var, 3)


# -- the load --------------------------------------------------------------------------------


class Pacer:
    """Open-loop pacing: the n-th request of a kind is due at start + n/rate, whoever sends
    it. A client that finds its slot already past sends at once (the server is behind)."""

    def __init__(self, rate: float, start: float, end: float):
        self.interval, self.next, self.end = 1 / rate, start, end
        self.lock = threading.Lock()
        self.late = 0

    def wait(self) -> bool:
        with self.lock:
            slot = self.next
            self.next += self.interval
        now = time.perf_counter()
        if now >= self.end or slot >= self.end:
            return False
        if slot > now:
            time.sleep(slot - now)
        else:
            with self.lock:
                self.late += 1
        return True


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.errors: Counter[tuple[str, str]] = Counter()
        self.samples: dict[tuple[str, str], str] = {}

    def ok(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def error(self, kind: str, what: str, detail: str = "") -> None:
        with self.lock:
            self.errors[(kind, what)] += 1
            self.samples.setdefault((kind, what), detail[:300])


def what_failed(exc: BaseException) -> str:
    found = re.search(r"HTTP (\d{3})", str(exc))
    return f"HTTP {found.group(1)}" if found else type(exc).__name__


class Sealed:
    """Dossiers sealed during the run: what citizens track and agencies read."""

    # Each dossier is tracked by its digits at most this often (10 an hour are allowed).
    LOOKUPS_EACH = 3

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recent: deque[dict] = deque(maxlen=2000)
        self.unacknowledged: dict[str, deque[dict]] = {}
        self.tracked: Counter[str] = Counter()

    def add(self, dossier: dict) -> None:
        with self.lock:
            self.recent.append(dossier)
            self.unacknowledged.setdefault(dossier["unit_code"], deque()).append(dossier)

    def to_track(self) -> dict | None:
        with self.lock:
            for _ in range(20):
                if not self.recent:
                    return None
                dossier = random.choice(self.recent)  # noqa: S311 — load, not secrets
                if self.tracked[dossier["code"]] < self.LOOKUPS_EACH:
                    self.tracked[dossier["code"]] += 1
                    return dossier
            return None

    def of_agency(self, unit_code: str) -> dict | None:
        with self.lock:
            mine = [d for d in list(self.recent)[-200:] if d["unit_code"] == unit_code]
        return random.choice(mine) if mine else None  # noqa: S311

    def to_acknowledge(self, unit_code: str) -> dict | None:
        with self.lock:
            waiting = self.unacknowledged.get(unit_code)
            return waiting.popleft() if waiting else None


def get(
    conn: http.client.HTTPConnection, path: str, headers: dict, body: bytes | None = None
) -> tuple[int, bytes]:
    method = "POST" if body is not None else "GET"
    for attempt in range(2):
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            # A sync worker closes the connection after each answer: open it again once.
            conn.close()
            if attempt:
                raise
    raise AssertionError("unreachable")


def timed(stats: Stats, kind: str, call, expected: tuple[int, ...] = (200,)) -> bytes | None:
    started = time.perf_counter()
    try:
        status, body = call()
    except Exception as exc:  # a benchmark reports failures, it does not hide them
        stats.error(kind, type(exc).__name__, str(exc))
        return None
    if status not in expected and not 300 <= status < 400:
        stats.error(kind, f"HTTP {status}", body.decode("utf-8", "replace"))
        return None
    stats.ok(kind, time.perf_counter() - started)
    return body


def clerk_loop(clerk: intake.Clerk, pacer: Pacer, stats: Stats, sealed: Sealed) -> None:
    while pacer.wait():
        started = time.perf_counter()
        try:
            clerk.api_intake()
        except Exception as exc:  # noqa: BLE001 — counted by kind
            stats.error("intake (POST)", what_failed(exc), str(exc))
            continue
        stats.ok("intake (POST)", time.perf_counter() - started)
        answer = clerk.last_intake
        sealed.add(
            {
                "code": answer["code"],
                "items": answer["items"],
                "last4": answer["phone"][-4:],
                "unit_code": clerk.me["unit_code"],
            }
        )


def citizen_loop(port: int, pacer: Pacer, stats: Stats, sealed: Sealed, first: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    number = first
    while pacer.wait():
        dossier = sealed.to_track()
        if dossier is None:
            continue
        number += 1
        # Each lookup from its own citizen; nginx, the one trusted proxy, names them.
        address = f"203.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"
        headers = {"X-Forwarded-For": address}
        if number % 3:
            path = f"/api/v1/track/{dossier['code']}?phone_last4={dossier['last4']}"
            kind = "tracking: dossier by code and digits"
        else:
            path = f"/api/v1/track/{random.choice(dossier['items'])}"  # noqa: S311
            kind = "tracking: postal item"
        timed(stats, kind, lambda p=path, h=headers: get(conn, p, h))


def agency_loop(clerk: intake.Clerk, pacer: Pacer, stats: Stats, sealed: Sealed) -> None:
    """The agency's system: reads its new dossiers, one of them, acknowledges each once
    under its own number, and orders result deliveries."""
    conn = http.client.HTTPConnection("127.0.0.1", clerk.port, timeout=60)
    unit = clerk.me["unit_code"]
    headers = {"X-API-Key": clerk.me["api_key"], "Content-Type": "application/json"}
    after, turn = 0, 0
    while pacer.wait():
        turn += 1
        step = turn % 4
        if step == 1:
            body = timed(
                stats,
                "agency: list new dossiers",
                lambda a=after: get(conn, f"/api/v1/agency/dossiers?after={a}&limit=50", headers),
            )
            if body:
                after = json.loads(body).get("next_after") or after
        elif step == 2 and (dossier := sealed.of_agency(unit)):
            code = dossier["code"]
            timed(
                stats,
                "agency: read a dossier",
                lambda c=code: get(conn, f"/api/v1/agency/dossiers/{c}", headers),
            )
        elif step == 3 and (dossier := sealed.to_acknowledge(unit)):
            code = dossier["code"]
            payload = json.dumps({"reference": f"CQ-{code[-11:]}"}).encode()
            ack_headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            timed(
                stats,
                "agency: acknowledge (POST)",
                lambda c=code, b=payload, h=ack_headers: get(
                    conn, f"/api/v1/agency/dossiers/{c}/acknowledge", h, b
                ),
            )
        elif step == 0:
            started = time.perf_counter()
            try:
                clerk.api_order()
            except Exception as exc:  # noqa: BLE001 — counted by kind
                stats.error("agency: order a delivery (POST)", what_failed(exc), str(exc))
                continue
            stats.ok("agency: order a delivery (POST)", time.perf_counter() - started)


def cron_loop(env: dict, every: float, stop: threading.Event, outcome: Counter) -> None:
    """What cron does on a node, more often: queue the SLA check and the roll-ups."""
    while not stop.wait(every):
        for command in ("check_sla", "update_rollups"):
            done = manage(env, command, "--enqueue", timeout=120)
            outcome[f"{command} --enqueue {'ok' if done.returncode == 0 else 'failed'}"] += 1


# Autovacuum's defaults: a table is vacuumed once its dead rows pass 50 + 20 % of its rows,
# analysed once its changed rows pass 50 + 10 %, looked at once a minute.
NAPTIME = 60.0


def autovacuum_loop(stop: threading.Event, outcome: Counter) -> None:
    """What autovacuum does on a deployed server, where this machine's PostgreSQL has it
    off: without it the task queue's partial index fills with dead entries and every claim
    walks them, which is a cost no deployment has."""
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        while not stop.wait(NAPTIME):
            due = conn.execute(
                "SELECT relname, n_dead_tup > 50 + 0.2 * greatest(n_live_tup, 0), "
                "n_mod_since_analyze > 50 + 0.1 * greatest(n_live_tup, 0) "
                "FROM pg_stat_user_tables WHERE schemaname = current_schema()"
            ).fetchall()
            for table, vacuum, analyze in due:
                if vacuum or analyze:
                    what = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
                    conn.execute(f'{what} "{table}"')
                    outcome[what] += 1


def autovacuum_is_on() -> bool:
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        return conn.execute("SHOW autovacuum").fetchone()[0] == "on"


def bare_views(clerks: list[intake.Clerk], seconds: float) -> float:
    """Closed loop of `/healthz` through the same processes and clients: requests/s."""
    counts = [0] * len(clerks)
    end = time.perf_counter() + seconds

    def work(index: int) -> None:
        while time.perf_counter() < end:
            clerks[index].bare()
            counts[index] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(clerks))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def baselines(clerks: list[intake.Clerk]) -> dict:
    # Unmeasured first: each gunicorn worker loads most of the app on its first requests.
    bare_views(clerks, 3)
    return {
        "insert_commit_per_s_1_conn": round(intake.baseline_inserts(1, 3)),
        f"insert_commit_per_s_{len(clerks)}_conns": round(intake.baseline_inserts(len(clerks), 3)),
        "bare_view_per_s": round(bare_views(clerks, 5), 1),
    }


# -- the checks ------------------------------------------------------------------------------


def task_table(conn: psycopg.Connection) -> str:
    row = conn.execute(
        "SELECT tablename FROM pg_tables WHERE tablename LIKE %s", ["%dbtaskresult"]
    ).fetchone()
    return row[0]


def tasks_waiting(conn: psycopg.Connection) -> int:
    table = task_table(conn)
    # A task queued without a time to wait for has run_after = 9999-01-01 (django-tasks-db).
    return conn.execute(
        f"SELECT count(*) FROM {table} "  # noqa: S608 — a table name from the catalog
        "WHERE status = 'RUNNING' OR status = 'READY' "
        "AND (run_after <= now() OR run_after >= '9999-01-01')"
    ).fetchone()[0]


def checks(receiver: Receiver) -> dict:
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        table = task_table(conn)
        tasks = [
            {"task": path.rsplit(".", 1)[-1], "status": status, "count": n, "claimed_twice": twice}
            for path, status, n, twice in conn.execute(
                f"SELECT task_path, status, count(*), "  # noqa: S608
                f"count(*) FILTER (WHERE jsonb_array_length(worker_ids) > 1) "
                f"FROM {table} GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ]
        # How long each task waited in the queue before a worker took it.
        waited = {
            path.rsplit(".", 1)[-1]: {"p50_s": p50, "p95_s": p95, "max_s": top}
            for path, p50, p95, top in conn.execute(
                "SELECT task_path,"  # noqa: S608
                " round(percentile_cont(0.5) WITHIN GROUP (ORDER BY w)::numeric, 1)::float,"
                " round(percentile_cont(0.95) WITHIN GROUP (ORDER BY w)::numeric, 1)::float,"
                " round(max(w)::numeric, 1)::float"
                " FROM (SELECT task_path, extract(epoch FROM started_at - enqueued_at) AS w"
                f" FROM {table} WHERE started_at IS NOT NULL) AS t GROUP BY 1 ORDER BY 1"
            )
        }
        per_worker = dict(
            conn.execute(
                f"SELECT w, count(*) FROM {table}, jsonb_array_elements_text(worker_ids) w "  # noqa: S608
                "GROUP BY w ORDER BY w"
            ).fetchall()
        )
        messages = [
            {"channel": c, "status": s, "count": n, "more_than_one_attempt": more}
            for c, s, n, more in conn.execute(
                "SELECT channel, status, count(*), count(*) FILTER (WHERE attempts > 1) "
                "FROM notify_message GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ]
        deliveries = [
            {"event": e, "status": s, "count": n, "more_than_one_attempt": more}
            for e, s, n, more in conn.execute(
                "SELECT event_type, status, count(*), count(*) FILTER (WHERE attempts > 1) "
                "FROM agencies_webhookdelivery GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ]
        sealed, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT code) FROM dossiers_dossier "
            "WHERE code IS NOT NULL AND code <> ''"
        ).fetchone()
        # Codes are <unit>-<YYMMDD>-<n>: per unit and day, n runs 1, 2, 3... with no hole.
        gaps = conn.execute(
            "SELECT coalesce(sum(hi - lo + 1 - n), 0) FROM ("
            " SELECT substring(code from '^(.*)-[0-9]+$') AS series, count(*) AS n,"
            " min(substring(code from '-([0-9]+)$')::int) AS lo,"
            " max(substring(code from '-([0-9]+)$')::int) AS hi"
            " FROM dossiers_dossier WHERE code IS NOT NULL AND code <> '' GROUP BY 1) AS per_series"
        ).fetchone()[0]
        sms_sent = conn.execute(
            "SELECT count(*) FROM notify_message WHERE channel = 'sms' AND status = 'sent'"
        ).fetchone()[0]
        delivered = conn.execute(
            "SELECT count(*) FROM agencies_webhookdelivery WHERE status = 'delivered'"
        ).fetchone()[0]
    with receiver.lock:
        sms, hooks = Counter(receiver.sms), Counter(receiver.hooks)
    return {
        "tasks": tasks,
        "tasks_claimed_more_than_once": sum(t["claimed_twice"] for t in tasks),
        "tasks_failed": sum(t["count"] for t in tasks if t["status"] == "FAILED"),
        "tasks_not_finished": sum(t["count"] for t in tasks if t["status"] in ("READY", "RUNNING")),
        "tasks_per_worker": per_worker,
        "tasks_waited_in_queue": waited,
        "messages": messages,
        "webhook_deliveries": deliveries,
        "sms_sent_in_db": sms_sent,
        "sms_received": sum(sms.values()),
        "sms_received_distinct": len(sms),
        "sms_received_more_than_once": sum(1 for n in sms.values() if n > 1),
        "webhooks_delivered_in_db": delivered,
        "webhooks_received": sum(hooks.values()),
        "webhooks_received_distinct_ids": len(hooks),
        "webhook_ids_received_more_than_once": sum(1 for n in hooks.values() if n > 1),
        "dossiers_sealed": sealed,
        "dossier_codes_distinct": distinct,
        "dossier_code_gaps": int(gaps),
    }


def server_logs(run_dir: Path, webs: int, workers: int) -> dict:
    """What the processes themselves said: answers by status from the access logs, and
    tracebacks and error lines from the error logs."""
    statuses: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    first: list[str] = []
    status = re.compile(rb'" (\d{3}) ')
    for number in range(1, webs + 1):
        for line in (run_dir / f"web{number}" / "access.log").read_bytes().splitlines():
            found = status.search(line)
            if found:
                statuses[found.group(1).decode()] += 1
    logs = [run_dir / f"web{n}" / "error.log" for n in range(1, webs + 1)]
    logs += [run_dir / f"worker{n}.log" for n in range(1, workers + 1)]
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if "Traceback" in line or " ERROR " in line or '"level": "ERROR"' in line:
                problems[log.name if "worker" in log.name else f"{log.parent.name} error.log"] += 1
                if len(first) < 5:
                    first.append(line[:300])
    return {
        "answers_by_status": dict(sorted(statuses.items())),
        "error_lines": dict(problems),
        "first_error_lines": first,
    }


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)


# -- the run ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--intake-rate", type=float, default=100, help="target intakes/s")
    parser.add_argument("--track-rate", type=float, default=50, help="target lookups/s")
    parser.add_argument("--agency-rate", type=float, default=20, help="target agency calls/s")
    parser.add_argument("--clerks", type=int, default=16, help="clerks sending intakes")
    parser.add_argument("--citizens", type=int, default=4, help="clients tracking")
    parser.add_argument("--agency-clients", type=int, default=2)
    parser.add_argument(
        "--workers", type=int, default=2, help="task workers (the units' command, each)"
    )
    parser.add_argument("--agencies", type=int, default=2, choices=range(1, 9), metavar="1-8")
    parser.add_argument("--cron-every", type=float, default=60, help="seconds")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/9")
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(args.redis).flushdb()
    run_dir = Path(tempfile.mkdtemp(prefix="bench-shape-"))
    receiver = Receiver()
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB}",
        "POSTGOV_DATA_DIR": str(run_dir / "data"),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "postgov.settings",
        "REDIS_URL": args.redis,
        # Behind nginx, as deploy/postgov.env.example: the citizen is X-Forwarded-For's last.
        "TRUSTED_PROXIES": "1",
        "SMS_GATEWAY": "http",
        "SMS_HTTP_URL": f"{receiver.url}/sms",
        "SMS_HTTP_TOKEN": "bench",
        # The receiver is on the loopback (development lets outbound requests go there).
        "OUTBOUND_ALLOW_PRIVATE": "true",
        "PORTAL_SIMULATOR": "false",
        "PORTAL_URL": "",
    }
    clients = args.clerks + args.agency_clients
    print(f"preparing {DB} ({clients} clients)…", flush=True)
    pg.recreate(PG, DB)
    for step in (("migrate", "-v0", "--noinput"), ("createcachetable",)):
        done = manage(env, *step)
        if done.returncode:
            raise RuntimeError(f"{step[0]}: {done.stderr[-2000:]}")
    fixture = json.loads(
        subprocess.run(  # noqa: S603
            [
                PYTHON,
                str(Path(__file__).with_name("fixture.py")),
                str(clients),
                str(args.agencies),
                f"{receiver.url}/hooks",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )

    ports = [intake.free_port(), intake.free_port()]
    webs = [start_web(n, port, env, run_dir) for n, port in enumerate(ports, 1)]
    workers = [start_worker(n, env, run_dir) for n in range(1, args.workers + 1)]
    report: dict = {}
    try:
        for port, web in zip(ports, webs, strict=True):
            wait_healthy(port, web)
        people = [
            intake.Clerk(ports[n % 2], me, fixture, False)
            for n, me in enumerate(fixture["clients"])
        ]
        clerks, agency_clients = people[: args.clerks], people[args.clerks :]
        print("baselines before…", flush=True)
        before = baselines(clerks)
        memory = Memory(webs, workers)
        memory.sample()
        memory.thread.start()
        stats, sealed = Stats(), Sealed()
        seconds = args.minutes * 60
        start = time.perf_counter() + 0.5
        end = start + seconds
        pacers = {
            "intake": Pacer(args.intake_rate, start, end),
            "track": Pacer(args.track_rate, start, end),
            "agency": Pacer(args.agency_rate, start, end),
        }
        stop_cron, cron = threading.Event(), Counter()
        threads = [threading.Thread(target=cron_loop, args=(env, args.cron_every, stop_cron, cron))]
        vacuums: Counter = Counter()
        autovacuum = "on" if autovacuum_is_on() else "off: run by the benchmark"
        stop_vacuum = threading.Event()
        vacuuming = threading.Thread(target=autovacuum_loop, args=(stop_vacuum, vacuums))
        if autovacuum != "on":
            vacuuming.start()
        threads += [
            threading.Thread(target=clerk_loop, args=(c, pacers["intake"], stats, sealed))
            for c in clerks
        ]
        threads += [
            threading.Thread(
                target=citizen_loop,
                args=(ports[n % 2], pacers["track"], stats, sealed, n * 1_000_000),
            )
            for n in range(args.citizens)
        ]
        threads += [
            threading.Thread(target=agency_loop, args=(c, pacers["agency"], stats, sealed))
            for c in agency_clients
        ]
        print(f"load for {args.minutes:g} min…", flush=True)
        load_average_start = os.getloadavg()
        cpu_start = cpu_seconds(webs, workers)
        for thread in threads:
            thread.start()
        for thread in threads[1:]:
            thread.join()
        took = time.perf_counter() - start
        stop_cron.set()
        threads[0].join()
        load_average_end = os.getloadavg()

        print("waiting for the workers to finish the queue…", flush=True)
        drained_in = time.perf_counter()
        with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
            backlog = tasks_waiting(conn)
            while tasks_waiting(conn) and time.perf_counter() - drained_in < 1200:
                time.sleep(1)
        drained_in = time.perf_counter() - drained_in
        # After the drain: the tasks the load queued are part of what it cost.
        cpu_end = cpu_seconds(webs, workers)
        stop_vacuum.set()
        if vacuuming.is_alive():
            vacuuming.join()
        time.sleep(2)
        memory.stopped.set()
        memory.sample()
        print("baselines after…", flush=True)
        after = baselines(clerks)
    finally:
        stopped = {}
        for name, process in [
            *((f"worker{n}", w) for n, w in enumerate(workers, 1)),
            *((f"web{n}", w) for n, w in enumerate(webs, 1)),
        ]:
            process.send_signal(signal.SIGTERM)
            try:
                stopped[name] = process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                process.kill()
                stopped[name] = "killed after 90 s"
    found = checks(receiver)
    receiver.close()
    print("audit_verify…", flush=True)
    audit = manage(env, "audit_verify", timeout=1800)
    logs = server_logs(run_dir, len(webs), len(workers))
    if not args.keep:
        pg.drop(PG, DB)

    many = f"insert_commit_per_s_{args.clerks}_conns"
    inserts = statistics.fmean([before[many], after[many]])
    bare = statistics.fmean([before["bare_view_per_s"], after["bare_view_per_s"]])
    kinds = {}
    for kind, values in sorted(stats.latencies.items()):
        errors = sum(n for (k, _), n in stats.errors.items() if k == kind)
        kinds[kind] = {
            "done": len(values),
            "per_s": round(len(values) / took, 2),
            "errors": errors,
            "p50_ms": pct(values, 0.50),
            "p95_ms": pct(values, 0.95),
            "p99_ms": pct(values, 0.99),
        }
    intakes = kinds.get("intake (POST)", {}).get("per_s", 0.0)
    answered = sum(k["done"] for k in kinds.values()) / took
    error_count = sum(stats.errors.values())
    report = {
        "minutes": round(took / 60, 2),
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in load_average_start],
        "load_average_at_end": [round(x, 2) for x in load_average_end],
        "shape": {
            "web": f"2 × `gunicorn postgov.wsgi -c deploy/gunicorn.conf.py` "
            f"({os.environ.get('GUNICORN_WORKERS') or 2 * (os.cpu_count() or 1)} workers each)",
            "worker": f"{args.workers} × `manage.py db_worker --queue-name '*' --interval 1`",
            "database": f"PostgreSQL {DB}",
            "cache": args.redis,
            "clients": {
                "clerks": args.clerks,
                "citizens": args.citizens,
                "agency systems": args.agency_clients,
            },
            "agencies": args.agencies,
        },
        "targets_per_s": {
            "intakes": args.intake_rate,
            "tracking": args.track_rate,
            "agency": args.agency_rate,
        },
        "late_requests": {name: pacer.late for name, pacer in pacers.items()},
        "baselines_before": before,
        "baselines_after": after,
        "intakes_per_s": intakes,
        "intakes_per_s_over_target": round(intakes / args.intake_rate, 4),
        "intakes_per_s_over_inserts_per_s": round(intakes / inserts, 4),
        "intakes_per_s_over_bare_views_per_s": round(intakes / bare, 4),
        "requests_per_s": round(answered, 2),
        "requests_per_s_over_bare_views_per_s": round(answered / bare, 4),
        "kinds": kinds,
        "cpu_during_load": cpu_report(
            cpu_start,
            cpu_end,
            took + drained_in,
            sum(k["done"] for k in kinds.values()),
            args.intake_rate + args.track_rate + args.agency_rate,
        ),
        "errors": error_count,
        "errors_by_kind": {f"{k}: {w}": n for (k, w), n in sorted(stats.errors.items())},
        "error_samples": {f"{k}: {w}": s for (k, w), s in stats.samples.items()},
        "cron": dict(cron),
        "autovacuum": autovacuum,
        "vacuums_by_the_benchmark": dict(vacuums),
        "tasks_waiting_at_end_of_load": backlog,
        "queue_drained_in_s": round(drained_in, 1),
        "checks": found,
        "audit_verify": {"exit": audit.returncode, "said": (audit.stdout + audit.stderr)[-400:]},
        "server_logs": logs,
        "stopped": stopped,
        "memory": memory.report(),
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    # default=str: a figure of a type JSON lacks is written as text, never lost.
    text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    (out / "shape.json").write_text(text)
    print_summary(report)
    problems = [
        error_count,
        found["tasks_claimed_more_than_once"],
        found["tasks_failed"],
        found["tasks_not_finished"],
        found["sms_received_more_than_once"],
        found["webhook_ids_received_more_than_once"],
        found["dossier_code_gaps"],
        found["dossiers_sealed"] - found["dossier_codes_distinct"],
        audit.returncode,
        sum(logs["error_lines"].values()),
    ]
    return 1 if any(problems) else 0


def print_summary(report: dict) -> None:
    print()
    print(f"{'kind':40} {'done':>7} {'/s':>7} {'err':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind, k in report["kinds"].items():
        print(
            f"{kind:40} {k['done']:>7} {k['per_s']:>7} {k['errors']:>4} "
            f"{k['p50_ms']!s:>8} {k['p95_ms']!s:>8} {k['p99_ms']!s:>8}"
        )
    print()
    for key in (
        "minutes",
        "load_average_at_start",
        "load_average_at_end",
        "baselines_before",
        "baselines_after",
        "intakes_per_s",
        "intakes_per_s_over_target",
        "intakes_per_s_over_inserts_per_s",
        "intakes_per_s_over_bare_views_per_s",
        "requests_per_s_over_bare_views_per_s",
        "cpu_during_load",
        "errors",
        "errors_by_kind",
        "tasks_waiting_at_end_of_load",
        "queue_drained_in_s",
        "autovacuum",
        "vacuums_by_the_benchmark",
        "stopped",
    ):
        print(f"{key}: {report[key]}")
    checks = report["checks"]
    for key, value in checks.items():
        if not isinstance(value, list | dict):
            print(f"{key}: {value}")
    print(f"tasks waited in the queue (s): {checks['tasks_waited_in_queue']}")
    print(f"tasks per worker: {checks['tasks_per_worker']}")
    print(f"audit_verify: exit {report['audit_verify']['exit']}")
    print(
        f"server logs: {report['server_logs']['answers_by_status']}, "
        f"error lines {report['server_logs']['error_lines']}"
    )
    print()
    print(f"{'memory (RSS)':40} {'start':>7} {'end':>7} {'max':>7} {'MB/min':>7} {'after 1st':>9}")
    for label, m in report["memory"].items():
        if "worker pid" in label:
            continue
        print(
            f"{label:40} {m['start_mb']:>7} {m['end_mb']:>7} {m['max_mb']:>7} "
            f"{m['slope_mb_per_min']!s:>7} {m['slope_after_first_minute_mb_per_min']!s:>9}"
        )


if __name__ == "__main__":
    sys.exit(main())
