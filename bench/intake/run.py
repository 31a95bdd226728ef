#!/usr/bin/env python
"""End-to-end counter intake over HTTP on PostgreSQL.

Each client is a clerk at their own post office, logged in once, who receives dossiers
back to back through the real pages: the start page, the applicant and procedure step,
the checklist, the fees, the confirmation that seals, and the sealed dossier's page —
nine requests, four of them POSTs that change the database (one seals: dossier code, two
S10 items, seal and receipt numbers, event, audit, SMS queued).

The baselines, measured in the same run: raw single-row INSERT+COMMIT through psycopg on
the same database, with one connection and with as many connections as clients; and a
bare view (`/healthz`) through the same gunicorn, middleware and clients. Figures are
reported as ratios to them, so they compare across machines.

Usage: python bench/intake/run.py [--clients 8] [--agencies 1] [--seconds 30] [--workers 4]
       [--threads 1] [--rounds 1]
       [--with-pdf]   (the client also fetches the A5 print of slip, receipt and label)
Needs PostgreSQL on 127.0.0.1:5432 (BENCH_PG to change); uses its own database
pg_intake_bench (BENCH_INTAKE_DB to change), dropped afterwards (--keep to keep it).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import psycopg

# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable

from bench.server import free_port, start_gunicorn  # noqa: E402

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
# Another name lets two checkouts measure at the same time without dropping each other's.
DB = os.environ.get("BENCH_INTAKE_DB", "pg_intake_bench")
DATABASE_URL = f"{PG}/{DB}"


# -- database ------------------------------------------------------------------------------


def admin(sql: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def prepare(clients: int, agencies: int, env: dict) -> dict:
    admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin(f"CREATE DATABASE {DB}")
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0", "--noinput"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "createcachetable"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [PYTHON, str(Path(__file__).with_name("fixture.py")), str(clients), str(agencies)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def baseline_inserts(connections: int, seconds: float) -> float:
    """Rows/s of single-row INSERT+COMMIT, `connections` at once."""
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_baseline "
            "(id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), payload text)"
        )
    counts = [0] * connections
    stop = time.perf_counter() + seconds

    def work(index: int) -> None:
        with psycopg.connect(DATABASE_URL) as conn:
            while time.perf_counter() < stop:
                conn.execute("INSERT INTO bench_baseline (payload) VALUES (%s)", ("x" * 64,))
                conn.commit()
                counts[index] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


# -- server --------------------------------------------------------------------------------


def start_server(port: int, workers: int, threads: int, env: dict) -> subprocess.Popen:
    config = Path(__file__).with_name("gunicorn_counting.py")
    options = ["--worker-class", "gthread", "--timeout", "60", "--config", str(config)]
    return start_gunicorn(port, workers, threads, env, options)


def postgres_cpu_seconds() -> float:
    """User+system CPU of the local PostgreSQL backends of the benchmark's database alive
    now (the server runs on this machine in the benchmark's set-up; the server's
    connections are kept for the whole run, DB_CONN_MAX_AGE below). Other databases'
    backends, someone else's tests, are not counted; neither are the server's own
    processes (WAL writer, checkpointer)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() != "postgres":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                if f" {DB} ".encode() not in cmdline.read():
                    continue
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def statements_sent(env: dict) -> int:
    """SQL statements the gunicorn workers have sent so far (`gunicorn_counting.py`)."""
    with open(env["BENCH_STATEMENTS_FILE"], "rb") as counter:
        return int.from_bytes(counter.read(8), "little")


def tree_cpu_seconds(root_pid: int) -> float:
    """User+system CPU of a process and its children (the gunicorn master and workers),
    read from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    wanted, total = {root_pid}, 0.0
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in wanted and pid not in wanted:
                wanted.add(pid)
                changed = True
    for pid in wanted:
        total += times.get(pid, 0.0)
    return total


# -- the clerk -----------------------------------------------------------------------------

TOKEN = re.compile(r'name="token" value="([0-9a-f-]{36})"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
COOKIE = re.compile(r"(sessionid|csrftoken)=([^;]+)")
PRESENT = re.compile(r'name="present_(\d+)"')
CHECKED_RADIO = re.compile(r'type="radio" name="(agency|fee_option)" value="(\d+)"[^>]*checked')
SELECTED = re.compile(
    r'<select name="(return_commune|return_point)"[^>]*>.*?<option value="(\d+)" selected', re.S
)


class Clerk:
    def __init__(self, port: int, me: dict, fixture: dict, with_pdf: bool):
        self.port, self.me, self.fixture, self.with_pdf = port, me, fixture, with_pdf
        self.cookies = {"sessionid": me["session"]}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.csrf = ""
        self.serial = 0
        self.last_intake: dict = {}

    def request(
        self,
        method: str,
        path: str,
        form: dict | None = None,
        body: str | None = None,
        json_body: bool = False,
    ) -> tuple[int, dict, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if json_body:
            headers["Content-Type"] = "application/json"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.csrf}
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        for name, value in COOKIE.findall(", ".join(response.headers.get_all("Set-Cookie") or [])):
            self.cookies[name] = value
        text = data.decode("utf-8", "replace") if b"%PDF" not in data[:8] else ""
        return response.status, dict(response.headers), text

    def expect(self, status: int, got: tuple[int, dict, str], step: str) -> tuple[int, dict, str]:
        if got[0] != status:
            snippet = re.sub(r"\s+", " ", got[2])[:600]
            raise RuntimeError(f"{step}: HTTP {got[0]} instead of {status}: {snippet}")
        return got

    def api_intake(self) -> dict[str, float]:
        """One whole intake in one JSON request (POST /api/v1/dossiers/intakes)."""
        self.serial += 1
        n = self.serial % 1_000_000
        if "csrftoken" not in self.cookies:
            self.expect(200, self.request("GET", "/dossiers/today/"), "csrf")
        body = {
            "token": str(uuid.uuid4()),
            "procedure": self.fixture["procedure_code"],
            "applicant": {
                "name": f"Nguyễn Văn Bench {n}",
                "id_number": f"045090{n:06d}",
                "birth_date": "1990-03-15",
                "gender": "male",
                "phone": f"0912{n:06d}",
                "address": "Thôn Tân Định",
                "commune": self.me["commune_code"],
            },
            "documents": [
                {"position": 1, "form": "original", "pages": 2},
                {"position": 2, "form": "copy", "pages": 1},
                {"position": 3, "form": "original", "pages": 1},
            ],
            "payment": {"method": "cash"},
        }
        t = time.perf_counter()
        status, _, text = self.request(
            "POST", "/api/v1/dossiers/intakes", body=json.dumps(body), json_body=True
        )
        if status != 201:
            raise RuntimeError(f"api intake: HTTP {status}: {text[:600]}")
        # What a caller may look up afterwards (the deployment-shape benchmark tracks it).
        self.last_intake = {**json.loads(text), "phone": body["applicant"]["phone"]}
        return {"api intake (POST)": time.perf_counter() - t}

    def api_order(self) -> dict[str, float]:
        """One result-delivery order by the agency's system (POST /api/v1/agency/orders):
        a dossier filed online whose result the post delivers to this clerk's commune."""
        self.serial += 1
        n = (self.me["point"] * 10_000 + self.serial) % 1_000_000
        body = {
            "dossier_code": f"{self.me['unit_code']}-261130-{n:06d}",
            "procedure_code": self.fixture["procedure_code"],
            "documents": [{"name": "Phiếu lý lịch tư pháp số 1", "number": f"{n}/2026"}],
            "recipient": {
                "name": f"Nguyễn Văn Bench {n}",
                "phone": f"0912{n:06d}",
                "id_last4": f"{n % 10_000:04d}",
                "address": "Thôn Tân Định",
                "commune_code": self.me["commune_code"],
            },
            "cod_amount": 30_000,
        }
        headers = {
            "Content-Type": "application/json",
            "X-API-Key": self.me["api_key"],
            "Idempotency-Key": f"bench-{self.me['point']}-{self.serial}",
        }
        t = time.perf_counter()
        self.conn.request("POST", "/api/v1/agency/orders", body=json.dumps(body), headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        if response.status != 201:
            raise RuntimeError(f"api order: HTTP {response.status}: {text[:600]}")
        return {"api order (POST)": time.perf_counter() - t}

    def bare(self) -> dict[str, float]:
        """The baseline: one request to a bare view (`/healthz`) through the same server,
        middleware and connection."""
        t = time.perf_counter()
        self.expect(200, self.request("GET", "/healthz"), "bare view")
        return {"bare view (GET)": time.perf_counter() - t}

    def intake(self) -> dict[str, float]:
        """One whole intake through the pages; returns the time of each step (seconds)."""
        times: dict[str, float] = {}
        self.serial += 1
        n = self.serial % 1_000_000

        t = time.perf_counter()
        _, _, page = self.expect(200, self.request("GET", "/dossiers/intake/"), "start")
        self.csrf = CSRF_FIELD.search(page).group(1)
        token = TOKEN.search(page).group(1)
        times["1 start page"] = time.perf_counter() - t

        t = time.perf_counter()
        form = {
            "action": "next",
            "token": token,
            "point": self.me["point"],
            "qr": "",
            "name": f"Nguyễn Văn Bench {n}",
            "id_number": f"045090{n:06d}",
            "birth_date": "15/03/1990",
            "gender": "male",
            "address": "Thôn Tân Định",
            "commune": self.me["commune"],
            "phone": f"0912{n:06d}",
            "email": "",
            "service_option": "both",
            "q": "",
            "q_done": "",
            "procedure": self.fixture["procedure"],
        }
        _, headers, _ = self.expect(
            302, self.request("POST", "/dossiers/intake/", form), "applicant"
        )
        checklist = headers["Location"]
        times["2 applicant (POST)"] = time.perf_counter() - t

        t = time.perf_counter()
        _, _, page = self.expect(200, self.request("GET", checklist), "checklist page")
        # The fixture's documents: the form (original), the ID (copy), the authorisation.
        form = {"action": "next"}
        docs = sorted(PRESENT.findall(page), key=int)
        for doc, kind in zip(docs, ("original", "copy", "original"), strict=True):
            form.update({f"present_{doc}": "on", f"form_{doc}": kind, f"pages_{doc}": "2"})
        times["3 checklist page"] = time.perf_counter() - t

        t = time.perf_counter()
        _, headers, _ = self.expect(302, self.request("POST", checklist, form), "checklist")
        fees = headers["Location"]
        times["4 checklist (POST)"] = time.perf_counter() - t

        t = time.perf_counter()
        _, _, page = self.expect(200, self.request("GET", fees), "fees page")
        radios = dict(CHECKED_RADIO.findall(page))
        selects = dict(SELECTED.findall(page))
        times["5 fees page"] = time.perf_counter() - t

        t = time.perf_counter()
        form = {
            "action": "next",
            "agency": radios["agency"],
            "return_method": "deliver",
            "return_address": "Thôn Tân Định",
            "return_commune": selects.get("return_commune", self.me["commune"]),
            "return_point": selects.get("return_point", self.me["point"]),
            "fee_option": radios["fee_option"],
            "post_collects_fee": "on",
            "weight_g": "100",
            "exemption": "",
            "exemption_note": "",
            "payment_method": "cash",
            "payment_reference": "",
        }
        _, headers, _ = self.expect(302, self.request("POST", fees, form), "fees")
        confirm = headers["Location"]
        times["6 fees (POST)"] = time.perf_counter() - t

        t = time.perf_counter()
        self.expect(200, self.request("GET", confirm), "confirm page")
        times["7 confirm page"] = time.perf_counter() - t

        t = time.perf_counter()
        _, headers, _ = self.expect(302, self.request("POST", confirm, {"seal_number": ""}), "seal")
        done = headers["Location"]
        times["8 seal (POST)"] = time.perf_counter() - t

        t = time.perf_counter()
        _, _, page = self.expect(200, self.request("GET", done), "sealed page")
        times["9 sealed page"] = time.perf_counter() - t
        if self.with_pdf:
            t = time.perf_counter()
            pdf = done.split("?")[0] + "print/all.pdf"
            self.expect(200, self.request("GET", pdf), "print")
            times["10 print all (PDF)"] = time.perf_counter() - t
        return times


def run_load(
    port: int, fixture: dict, seconds: float, warmup: float, with_pdf: bool, mode: str
) -> dict:
    clerks = [Clerk(port, me, fixture, with_pdf) for me in fixture["clients"]]
    results: list[tuple[float, float, dict]] = []
    errors: list[str] = []
    lock = threading.Lock()
    begin = time.perf_counter()
    window = (begin + warmup, begin + warmup + seconds)

    def work(clerk: Clerk) -> None:
        while time.perf_counter() < window[1]:
            started = time.perf_counter()
            try:
                run = {
                    "api": clerk.api_intake,
                    "orders": clerk.api_order,
                    "bare": clerk.bare,
                }.get(mode, clerk.intake)
                steps = run()
            except Exception as exc:  # a benchmark reports failures, it does not hide them
                with lock:
                    errors.append(str(exc))
                if len(errors) > 20:
                    return
                continue
            with lock:
                results.append((started, time.perf_counter(), steps))

    threads = [threading.Thread(target=work, args=(c,)) for c in clerks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counted = [r for r in results if r[0] >= window[0] and r[1] <= window[1]]
    latencies = sorted(end - start for start, end, _ in counted)
    steps: dict[str, list[float]] = {}
    for _, _, times in counted:
        for name, value in times.items():
            steps.setdefault(name, []).append(value)

    def pct(values: list[float], q: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

    return {
        "intakes_all": len(results),
        "intakes": len(counted),
        "intakes_per_s": len(counted) / seconds,
        "p50_ms": pct(latencies, 0.50) * 1000,
        "p99_ms": pct(latencies, 0.99) * 1000,
        "steps_p50_ms": {k: round(pct(v, 0.5) * 1000, 1) for k, v in sorted(steps.items())},
        "steps_p99_ms": {k: round(pct(v, 0.99) * 1000, 1) for k, v in sorted(steps.items())},
        "errors": errors[:5],
        "error_count": len(errors),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    # Processes rather than threads: the intake is CPU-bound Python, and on 2 cores four
    # single-threaded workers sealed about 15 % more than three workers of two threads.
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--with-pdf", action="store_true")
    parser.add_argument(
        "--mode",
        choices=["pages", "api", "both", "orders", "all"],
        default="all",
        help="the wizard's pages (9 requests per intake), the one-request JSON intake, both, "
        "result-delivery orders by the agency API (with the JSON intake, to compare), or all",
    )
    parser.add_argument(
        "--agencies",
        type=int,
        default=1,
        choices=range(1, 9),
        metavar="1-8",
        help="provinces (each with its service centre) the clients' post offices are spread "
        "over: 1, the default, makes every clerk take dossier codes from one agency's daily "
        "sequence (the worst case); as many as clients is closer to national traffic",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure this many times on the same database and server, each round with its "
        "own baselines; the report gives every round and the medians",
    )
    parser.add_argument(
        "--cache",
        default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15"),
        help="REDIS_URL for the server's cache (rate limits) as deployed; 'db' for the "
        "database cache that `make run` uses",
    )
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="bench-intake-")
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "POSTGOV_DATA_DIR": data_dir,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "postgov.settings",
        "BENCH_STATEMENTS_FILE": os.path.join(data_dir, "statements"),
        # The workers keep their connections for the whole run, so that the CPU of their
        # backends, read from /proc, is all there at the end of a load.
        "DB_CONN_MAX_AGE": "36000",
        # No portal: an order is then checked against the post's own records only (the
        # portal's lookup is a network call to a system outside, not PostGov's cost).
        "PORTAL_SIMULATOR": "false",
        "PORTAL_URL": "",
    }
    if args.cache != "db":
        env["REDIS_URL"] = args.cache
    print(f"preparing {DB} for {args.clients} clients…", flush=True)
    fixture = prepare(args.clients, args.agencies, env)
    port = free_port()
    server = start_server(port, args.workers, args.threads, env)
    results = []
    try:
        for number in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"round {number} of {args.rounds}", flush=True)
            results.append(measure(args, fixture, env, port, server))
    finally:
        server.terminate()
        server.wait(timeout=30)
    with psycopg.connect(DATABASE_URL) as conn:
        sealed = conn.execute(
            "SELECT count(*), count(DISTINCT code) FROM dossiers_dossier WHERE code IS NOT NULL"
        ).fetchone()
    if not args.keep:
        admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    report = results[0] if len(results) == 1 else {"rounds": results, "median": median(results)}
    report.update({"sealed_in_db": sealed[0], "distinct_codes": sealed[1]})
    print(json.dumps(report, ensure_ascii=False, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "intake.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    errors = sum(
        r[mode]["error_count"] for r in results for mode in ("pages", "api", "orders") if mode in r
    )
    return 0 if not errors and sealed[0] == sealed[1] else 1


def median(results: list[dict]) -> dict:
    """The median of each number over the rounds (each against its own baselines)."""
    out: dict = {}
    for key, value in results[0].items():
        if isinstance(value, dict):
            out[key] = median([r[key] for r in results])
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = statistics.median(r[key] for r in results if r[key] is not None)
    return out


def measure(args, fixture: dict, env: dict, port: int, server: subprocess.Popen) -> dict:
    """One round: the baselines, then the loads, on the server already running."""
    inserts_1 = baseline_inserts(1, 3)
    inserts_n = baseline_inserts(args.clients, 3)
    loads = {}
    print(f"running the bare view for 5 s with {args.clients} clients…", flush=True)
    cpu_before = tree_cpu_seconds(server.pid)
    bare = run_load(port, fixture, 5, 2, False, "bare")
    bare_cpu = tree_cpu_seconds(server.pid) - cpu_before
    bare_cpu_ms = bare_cpu / (bare["intakes_all"] or 1) * 1000
    modes = {
        "both": ("pages", "api"),
        "all": ("pages", "api", "orders"),
        "orders": ("api", "orders"),
    }.get(args.mode, (args.mode,))
    for mode in modes:
        print(f"running {mode} for {args.seconds:.0f} s with {args.clients} clients…", flush=True)
        cpu_before, pg_before = tree_cpu_seconds(server.pid), postgres_cpu_seconds()
        client_before, statements_before = time.process_time(), statements_sent(env)
        loads[mode] = run_load(port, fixture, args.seconds, args.warmup, args.with_pdf, mode)
        statements = statements_sent(env) - statements_before
        cpu = tree_cpu_seconds(server.pid) - cpu_before
        pg_cpu = postgres_cpu_seconds() - pg_before
        client_cpu = time.process_time() - client_before
        done = loads[mode]["intakes_all"] or 1
        loads[mode]["django_cpu_ms_per_intake"] = round(cpu / done * 1000, 1)
        loads[mode]["postgres_cpu_ms_per_intake"] = round(pg_cpu / done * 1000, 1)
        loads[mode]["statements_per_intake"] = round(statements / done, 1)
        # The clients share the 2 cores with the server: what they take is not served.
        loads[mode]["load_generator_cpu_ms_per_intake"] = round(client_cpu / done * 1000, 1)
        # What 2 dedicated cores could do if Django were the only cost (PostgreSQL's
        # own CPU comes on top, so this is an upper bound).
        loads[mode]["ceiling_intakes_per_s_on_2_cores"] = round(2 / (cpu / done), 1)
        # With PostgreSQL's CPU too: what 2 cores would seal with the load generator
        # elsewhere.
        loads[mode]["ceiling_with_postgres_on_2_cores"] = round(2 / ((cpu + pg_cpu) / done), 1)
    inserts_after = baseline_inserts(args.clients, 3)

    baseline = (inserts_n + inserts_after) / 2
    result = {
        "clients": args.clients,
        "agencies": fixture["agencies"],
        "gunicorn": f"{args.workers} workers × {args.threads} threads (gthread)",
        "errors_bare_view": bare["error_count"],
        "cache": "database" if args.cache == "db" else "redis",
        "cores": os.cpu_count(),
        "load_average_at_end": os.getloadavg()[0],
        "with_pdf": args.with_pdf,
        "baseline_insert_commit_per_s_1_conn": round(inserts_1),
        f"baseline_insert_commit_per_s_{args.clients}_conns": round(baseline),
        "baseline_bare_view_per_s": round(bare["intakes_per_s"], 1),
        "baseline_bare_view_django_cpu_ms": round(bare_cpu_ms, 2),
    }
    for mode, load in loads.items():
        result[mode] = {
            **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in load.items()},
            "intakes_per_s_over_inserts_per_s": round(load["intakes_per_s"] / baseline, 4),
            "insert_commits_per_intake_equivalent": round(baseline / load["intakes_per_s"], 1)
            if load["intakes_per_s"]
            else None,
            "intakes_per_s_over_bare_views_per_s": round(
                load["intakes_per_s"] / bare["intakes_per_s"], 4
            ),
            "django_cpu_over_bare_view": round(load["django_cpu_ms_per_intake"] / bare_cpu_ms, 1),
        }
    if "orders" in loads:
        # Postal orders of dossiers filed online (decision 0016) against counter intakes of
        # the same round: the one-request JSON intake, and the wizard's pages when run.
        orders = loads["orders"]["intakes_per_s"]
        for mode in ("api", "pages"):
            if mode in loads and loads[mode]["intakes_per_s"]:
                result[f"orders_per_s_over_{mode}_intakes_per_s"] = round(
                    orders / loads[mode]["intakes_per_s"], 3
                )
    return result


if __name__ == "__main__":
    sys.exit(main())
