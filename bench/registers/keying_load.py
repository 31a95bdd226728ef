#!/usr/bin/env python
"""Keying under load, on PostgreSQL, through a real server: 20 operators at once against
gunicorn (2 workers × 4 threads by default, gthread), each operator a client thread with
its own keep-alive HTTP connection and its own signed-in session (with the second factor
that staff pages require), in a project of N records waiting to be keyed twice.

Each operator asks for a record once (POST "key the next record"), then loops as the page
does: the keying page (GET), five field saves (POST field, as keying.js sends on leaving a
field, with its keystrokes) and the submission (POST save), which finds and claims the next
record itself and redirects to it; after each submission, one GET of the bare view
(/healthz), the baseline under the same load. Two cases, one after the other on the same
server and database:
  - saturated: no pause at all, as many requests as the server answers;
  - paced like real operators: a fast keyer types about 10,000 keystrokes an hour (2.8 a
    second) and a field of the population schema is about a dozen keystrokes, so a field
    is left (and saved) every 4 seconds or so: each operator waits a random 0.5–1.5 ×
    `--pace` seconds (4 by default) before each field save and before the submission, and
    starts at a random moment within one record's time (operators are not in step).
Reported for each case: p50 / p95 / p99 seen by the clients for each kind of request, with
the ratio of the page's and the field save's p95 to the bare view's p95; "next record" as
`actions.next_keying` inside the views (timed in the workers); the SQL statements and the
CPU time per request of each kind, counted in the workers (bench/registers/gunicorn_keying.py,
each request's own thread); the CPU of the whole server and of the database's backends per
request from /proc; and the load average. Goal: p95 < 100 ms for the next record's page and
for a field save.

Usage: .venv/bin/python bench/registers/keying_load.py [--operators 20] [--records 4000]
       [--seconds 30] [--paced-seconds 90] [--pace 4] [--workers 2] [--threads 4]
       (BENCH_PG to point at another server, BENCH_KEYING_DB for the database's name)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB = os.environ.get("BENCH_KEYING_DB", "pg_registers_keying_bench")
REDIS = os.environ.get("BENCH_KEYING_REDIS", "redis://127.0.0.1:6379/12")
IDLE_S = 1.5
COUNTS_FILE = os.path.join(tempfile.gettempdir(), f"{DB}-counts")

from bench import pg  # noqa: E402
from bench.intake.run import free_port, postgres_cpu_seconds, tree_cpu_seconds  # noqa: E402
from bench.queues.run import Browser, staff_session  # noqa: E402
from bench.registers import gunicorn_keying  # noqa: E402
from bench.server import start_gunicorn  # noqa: E402

GOAL_P95_MS = 100
# A whole record of the population schema (the commune is the test world's).
VALUES = {
    "full_name": "Nguyễn Văn An",
    "birth_date": "12/5/1985",
    "gender": "male",
    "id_number": "045085000123",
    "ethnicity": "01",
    "home_commune": "Đông Hà",
    "household_head": "head",
    "phone": "0912 345 678",
}
SAVED = ("full_name", "birth_date", "gender", "id_number", "home_commune")
MIDDLE = ("Văn", "Hữu", "Đức", "Minh", "Quang", "Thành", "Công", "Xuân")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Sơn")


def values_of(record: int) -> dict[str, str]:
    """A record's values, different for each record (identical ones would all be
    duplicates of one another, and each settlement would open a candidate)."""
    return {
        **VALUES,
        "full_name": f"Nguyễn {MIDDLE[record % 8]} {GIVEN[record // 8 % 11]}",
        "birth_date": f"{record % 28 + 1}/{record // 28 % 12 + 1}/1985",
        "id_number": f"045085{record:06d}",
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def figures(times: list[float]) -> dict[str, float]:
    return {
        "n": len(times),
        "p50_ms": round(percentile(times, 0.50) * 1000, 1),
        "p95_ms": round(percentile(times, 0.95) * 1000, 1),
        "p99_ms": round(percentile(times, 0.99) * 1000, 1),
    }


def set_up(records: int, operators: int):
    """A project of `records` records in one batch (rows written directly: the scans are
    not what is measured) and `operators` operators; returns (project, operators)."""
    from postgov.identity.models import Role
    from postgov.registers import actions, schemas
    from postgov.registers.models import Batch, Membership, Record
    from tests.personas import build_world, give_role, make_user

    world = build_world()
    ready = schemas.ready_schema("population")
    manager = world.provincial_admin
    project = actions.create_project(
        by=manager,
        name="Sổ hộ khẩu (benchmark)",
        kind=ready["kind"],
        province=world.province,
        fields=ready["fields"],
        sample_percent=0,
    )
    schema = project.current_schema()
    batch = Batch.objects.create(
        project=project,
        label="Quyển 1",
        source_name="bench.pdf",
        pages=records,
        created_by=manager,
    )
    Record.objects.bulk_create(
        Record(project=project, batch=batch, number=n, schema=schema) for n in range(1, records + 1)
    )
    people = []
    for i in range(operators):
        user = make_user(f"op{i:02d}", f"Người nhập {i:02d}")
        give_role(user, Role.CLERK, service_point=world.point_a)
        actions.add_member(project, user=user, role=Membership.Role.OPERATOR, by=manager)
        people.append(user)
    return project, people


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB}",
        "REDIS_URL": REDIS,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "600",
        "PORTAL_SIMULATOR": "false",
        "BENCH_KEYING_FILE": COUNTS_FILE,
    }
    config = ROOT / "bench" / "registers" / "gunicorn_keying.py"
    options = ["--worker-class", "gthread", "--timeout", "60", "--config", str(config)]
    return start_gunicorn(port, workers, threads, env, options)


class Operator(Browser):
    """One operator's browser: its connection, its session's cookies, the page's CSRF
    token, and the redirect of its last answer."""

    def ask(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        status = self.request(method, path, form)
        return status, self.location

    def request(self, method: str, path: str, form: dict | None = None, **headers) -> int:
        self.location = ""
        if time.monotonic() - getattr(self, "answered", 0.0) > IDLE_S:
            # gunicorn closes a connection idle for longer (its keep-alive is 2 s): a
            # browser, or nginx in front, opens a new one
            self.conn.close()
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **headers}
        body = None
        if form is not None:
            import urllib.parse

            body = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.csrf})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = self.text = response.read().decode("utf-8", "replace")
        self.answered = time.monotonic()
        self.location = response.headers.get("Location", "")
        for name, value in re.findall(
            r"(sessionid|csrftoken)=([^;]+)",
            ", ".join(response.headers.get_all("Set-Cookie") or []),
        ):
            self.cookies[name] = value
        if method == "GET" and (
            found := re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        ):
            self.csrf = found.group(1)
        return response.status


def load(port: int, project_pk: int, sessions: list[str], seconds: float, pace: float) -> dict:
    """Every operator keys for `seconds`, pausing 0.5–1.5 × `pace` seconds before each
    field save and the submission (no pause when `pace` is 0); the clients' times."""
    times: dict[str, list[float]] = {
        k: [] for k in ("next_request", "page", "field", "submit", "bare")
    }
    lock = threading.Lock()
    errors: list[str] = []
    start_line = threading.Barrier(len(sessions))
    stop = [0.0]

    def timed(name: str, browser: Operator, method: str, path: str, form=None) -> tuple[int, str]:
        began = time.perf_counter()
        answer = browser.ask(method, path, form)
        elapsed = time.perf_counter() - began
        with lock:
            times[name].append(elapsed)
        return answer

    def operator(i: int, session: str) -> None:
        rng = random.Random(i)
        browser = Operator(port, session)
        try:
            # The project's page, as the operator has it open: its CSRF token.
            status = browser.request("GET", f"/registers/{project_pk}/")
            if status != 200:
                raise RuntimeError(f"the project's page answered {status}")
            start_line.wait()
            stop[0] = stop[0] or time.monotonic() + seconds
            if pace:
                # operators are not in step: each starts somewhere in a record's time
                time.sleep(rng.uniform(0, pace * (len(SAVED) + 1)))
            status, location = timed(
                "next_request", browser, "POST", f"/registers/{project_pk}/next/", {}
            )
            while time.monotonic() < stop[0]:
                found = re.search(r"/keying/(\d+)/$", location)
                if found is None:
                    if status != 302:
                        raise RuntimeError(f"asking for a record answered {status}")
                    return  # nothing left to key
                keying = int(found.group(1))
                timed("page", browser, "GET", f"/registers/keying/{keying}/")
                # the record's number ends the page's heading: each record its own values
                values = values_of(int(re.search(r"(\d+)</h1>", browser.text).group(1)))
                for key in SAVED:
                    if pace:
                        time.sleep(pace * rng.uniform(0.5, 1.5))
                    report = {"key": key, "value": values[key], "keystrokes": "12"}
                    status, _ = timed(
                        "field", browser, "POST", f"/registers/keying/{keying}/field/", report
                    )
                    if status != 200:
                        raise RuntimeError(f"field save answered {status}")
                if pace:
                    time.sleep(pace * rng.uniform(0.5, 1.5))
                status, location = timed(
                    "submit", browser, "POST", f"/registers/keying/{keying}/save/", values
                )
                if status != 302:
                    raise RuntimeError(f"submission answered {status}")
                status, _ = timed("bare", browser, "GET", "/healthz")
                if status != 200:
                    raise RuntimeError(f"the bare view answered {status}")
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            errors.append(f"operator {i}: {exc!r}"[:300])

    threads = [threading.Thread(target=operator, args=(i, s)) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"times": times, "errors": errors}


def case(
    port: int, server_pid: int, project_pk: int, sessions: list[str], seconds: float, pace: float
) -> dict:
    counts_before = gunicorn_keying.read(COUNTS_FILE)
    cpu_before, pg_before = tree_cpu_seconds(server_pid), postgres_cpu_seconds()
    began_at, began = time.time(), time.monotonic()
    ran = load(port, project_pk, sessions, seconds, pace)
    elapsed = time.monotonic() - began
    server_cpu = tree_cpu_seconds(server_pid) - cpu_before
    pg_cpu = postgres_cpu_seconds() - pg_before
    counts = gunicorn_keying.read(COUNTS_FILE)
    result: dict = {
        "pace_s": pace,
        "seconds": round(elapsed, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    served = 0
    for kind, (requests, statements, cpu) in counts.items():
        before = counts_before[kind]
        n = requests - before[0]
        served += n
        if not n or kind == "other":  # the project's page, once per operator
            continue
        name = "next_request" if kind == "next" else kind
        result[name] = {
            **figures(ran["times"].get(name, [])),
            "statements_per_request": round((statements - before[1]) / n, 1),
            "cpu_ms_per_request": round((cpu - before[2]) * 1000 / n, 1),
        }
    result["requests"] = served
    result["server_cpu_ms_per_request"] = round(server_cpu * 1000 / max(served, 1), 1)
    result["postgres_cpu_ms_per_request"] = round(pg_cpu * 1000 / max(served, 1), 1)
    result["records_keyed_per_s"] = round(len(ran["times"]["submit"]) / elapsed, 2)
    result["field_saves_per_s"] = round(len(ran["times"]["field"]) / elapsed, 1)
    result["errors"] = ran["errors"][:5]
    result["_window"] = (began_at, began_at + elapsed)
    bare = result.get("bare", {}).get("p95_ms") or 1e-6
    for name in ("page", "field", "submit"):
        if name in result:
            result[f"{name}_p95_ratio_to_bare_view"] = round(result[name]["p95_ms"] / bare, 1)
    return result


def next_keying_times(window: tuple[float, float]) -> dict:
    """`actions.next_keying` inside the views, as the workers kept it (written when they
    stop), in the case's time window."""
    times = []
    for path in Path(COUNTS_FILE).parent.glob(Path(COUNTS_FILE).name + ".next.*"):
        times += [t for when, t in json.loads(path.read_text()) if window[0] <= when <= window[1]]
    return figures(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operators", type=int, default=20)
    parser.add_argument("--records", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=30, help="the saturated case")
    parser.add_argument("--paced-seconds", type=float, default=90, help="the paced case")
    parser.add_argument("--pace", type=float, default=4, help="seconds between field saves")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    pg.recreate(PG, DB)
    import bench.intake.run as intake

    intake.DB = DB  # postgres_cpu_seconds reads the database's name from its module
    for old in Path(COUNTS_FILE).parent.glob(Path(COUNTS_FILE).name + ".next.*"):
        old.unlink()
    server = None
    try:
        pg.setup_django(PG, DB)
        print(f"database {DB}: {args.records} records, {args.operators} operators…", flush=True)
        project, people = set_up(args.records, args.operators)
        sessions = [staff_session(person) for person in people]
        from django.db import connections

        connections.close_all()
        port = free_port()
        server = start_server(port, args.workers, args.threads)
        # every server thread answers the bare view once before anything is timed
        for _ in range(args.workers * args.threads * 2):
            Browser(port).request("GET", "/healthz")
        cases = {}
        if args.seconds:
            cases["saturated"] = case(port, server.pid, project.pk, sessions, args.seconds, 0)
            print(json.dumps(cases["saturated"], indent=1), flush=True)
        if args.paced_seconds:
            cases["paced"] = case(
                port, server.pid, project.pk, sessions, args.paced_seconds, args.pace
            )
            print(json.dumps(cases["paced"], indent=1), flush=True)
        server.terminate()
        server.wait(timeout=60)
        server = None
        for result in cases.values():
            result["next"] = next_keying_times(result.pop("_window"))
        summary = {
            "operators": args.operators,
            "records": args.records,
            "gunicorn": f"{args.workers} workers × {args.threads} threads (gthread)",
            "cases": cases,
            "goal_p95_ms": GOAL_P95_MS,
            "machine": f"{os.cpu_count()} cores shared by server, PostgreSQL, Redis and clients",
        }
        print(json.dumps(summary, indent=1), flush=True)
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / "registers-keying-load.json").write_text(json.dumps(summary, indent=1))
        return 0 if not any(r["errors"] for r in cases.values()) else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            pg.drop(PG, DB)


if __name__ == "__main__":
    sys.exit(main())
