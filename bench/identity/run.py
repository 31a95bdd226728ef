#!/usr/bin/env python
"""PostID throughput on PostgreSQL, per core, as ratios.

- password logins/s (login page + form post, the production Argon2 hasher),
- authorization-code exchanges/s and refresh-token grants/s, userinfo/s,

against one gunicorn worker (one core) over loopback HTTP, compared with Keycloak's
published sizing (15 password logins/s and 120 refresh-token grants/s per vCPU) and, in
the same run on the same machine, with panva's oidc-provider (one node process) for the
token (refresh) and userinfo endpoints.

Database: PostgreSQL `pg_identity_bench` (BENCH_DATABASE_URL to change), created if
missing and reset each run. Needs node/npm for the baseline (skipped otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
from bench.intake import run as intake  # noqa: E402

DB_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pg_identity_bench"
)
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
KEYCLOAK = {"logins": 15.0, "refresh": 120.0}  # per vCPU, Keycloak sizing guide
SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz"
REDIRECT = "http://127.0.0.1:9/cb"
PASSWORD = "một mật khẩu dài để đo"  # noqa: S105
MACHINE = "bench-machine"
FLOWS = ("logins", "code_exchange", "refresh", "userinfo", "client_credentials")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def env_for(port: int) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "DEBUG": "false",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "OIDC_ISSUER": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        "LOGIN_THROTTLE_PAIR_FREE": "1000000",
        "LOGIN_THROTTLE_ADDRESS_FREE": "1000000",
        "IDENTITY_OTP_PER_HOUR": "1000000",
        "DB_CONN_MAX_AGE": "600",
        # The shared cache as deployed (rate limits, sessions); "" for the database's.
        "REDIS_URL": os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/12"),
    }


def prepare_database(port: int) -> str:
    """Fresh schema, one citizen, one relying party; returns the hasher's description."""
    import psycopg

    base, _, name = DB_URL.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(env_for(port))
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")
    django.setup()
    from django.contrib.auth.hashers import get_hasher
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from postgov.identity.models import RelyingParty, User

    for i in range(CLIENTS):
        user = User(username=f"bench{i}", full_name="Nguyễn Văn Đo")
        user.set_password(PASSWORD)
        user.save()
    RelyingParty.objects.create(
        name="bench",
        client_id="bench",
        client_type="confidential",
        client_secret=SECRET,
        redirect_uris=REDIRECT,
        allowed_scopes=["openid", "profile"],
        skip_authorization=True,
        subject_type="pairwise",
    )
    # An agency's system: the client credentials grant, HTTP Basic, service scopes only.
    RelyingParty.objects.create(
        name="bench machine",
        client_id=MACHINE,
        client_type="confidential",
        authorization_grant_type=RelyingParty.GRANT_CLIENT_CREDENTIALS,
        client_secret=SECRET,
        redirect_uris="",
        allowed_scopes=["agency.dossiers.read"],
        skip_authorization=True,
        token_endpoint_auth_method="client_secret_basic",
    )
    hasher = get_hasher()
    params = {
        k: getattr(hasher, k)
        for k in ("time_cost", "memory_cost", "parallelism")
        if hasattr(hasher, k)
    }
    return f"{hasher.algorithm} {params}"


def run_for(seconds: float, workers: int, make_state, step) -> float:
    """Calls of `step(state)` per second over `seconds`, with `workers` threads."""
    counts = [0] * workers
    stop = time.time() + seconds
    errors: list[str] = []

    def worker(i: int) -> None:
        state = make_state(i)
        while time.time() < stop:
            try:
                state = step(state) or state
                counts[i] += 1
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc)[:200])
                return

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print("  errors:", errors[:3])
    LAST_COUNT[0] = sum(counts)
    return sum(counts) / (time.time() - started)


LAST_COUNT = [0]
# What the server spent on each flow: CPU of gunicorn's workers and of PostgreSQL's
# backends of the benchmark's database, and SQL statements (bench/intake's counting
# config). CPU per grant is what a core can do when nothing else runs on it, which the
# rate on a shared machine is not.
COSTS: dict[str, dict] = {}
SERVER_PID = [0]


def measured(name: str, run) -> float:
    intake.DB = DB_URL.rpartition("/")[2]
    cpu, pg_cpu, statements = (
        intake.tree_cpu_seconds(SERVER_PID[0]),
        intake.postgres_cpu_seconds(),
        statements_sent(),
    )
    rate = run()
    done = max(LAST_COUNT[0], 1)
    server_ms = (intake.tree_cpu_seconds(SERVER_PID[0]) - cpu) * 1000 / done
    COSTS[name] = {
        "server_cpu_ms": round(server_ms, 2),
        "postgres_cpu_ms": round((intake.postgres_cpu_seconds() - pg_cpu) * 1000 / done, 2),
        "statements": round((statements_sent() - statements) / done, 2),
        "per_second_per_core_of_server_cpu": round(1000 / server_ms, 1) if server_ms else None,
    }
    return rate


STATEMENTS_FILE = os.path.join(tempfile.gettempdir(), "identity-bench-statements")


def statements_sent() -> int:
    with open(STATEMENTS_FILE, "rb") as counter:
        return int.from_bytes(counter.read(8), "little")


# -- PostGov -------------------------------------------------------------------------------
def pg_login(base: str, i: int) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        base + "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": f"bench{i}", "password": PASSWORD},
        headers={"Referer": base + "/accounts/login/"},
        allow_redirects=False,
    )
    assert response.status_code == 302 and response.headers["Location"] == "/", response.status_code
    return session


def pg_code(base: str, session: requests.Session) -> str:
    params = {
        "client_id": "bench",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid profile",
        "state": "s",
        "nonce": "n",
    }
    response = session.get(base + "/oidc/authorize?" + urlencode(params), allow_redirects=False)
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def client_credentials(token_endpoint: str, client_id: str):
    """One client_credentials grant per call, as an agency's system asks for a token."""

    def grant(http):
        r = http.post(
            token_endpoint,
            data={"grant_type": "client_credentials", "scope": "agency.dossiers.read"},
            auth=(client_id, SECRET),
        )
        assert r.status_code == 200 and r.json()["access_token"], r.text
        return http

    return run_for(SECONDS, CLIENTS, lambda i: requests.Session(), grant)


def bench_postgov(base: str, flows) -> dict:
    auth = (("bench", SECRET),)
    results = {}
    if "client_credentials" in flows:
        results["client_credentials"] = measured(
            "client_credentials", lambda: client_credentials(base + "/oidc/token", MACHINE)
        )
    if not set(flows) - {"client_credentials"}:
        return results
    if "logins" in flows:
        results["logins"] = run_for(
            SECONDS, CLIENTS, lambda i: i, lambda i: pg_login(base, i) and None
        )
    sessions = [pg_login(base, i) for i in range(CLIENTS)]

    # Codes live 60 s: mint a batch that fits in that time, then time only the exchanges
    # (a worker that runs out stops; the rate is over the time until the last one stops).
    per_client = int(os.environ.get("BENCH_CODES", "60")) if "code_exchange" in flows else 0
    codes: list[list[str]] = [
        [pg_code(base, sessions[i]) for _ in range(per_client)] for i in range(CLIENTS)
    ]

    def exchange(state):
        i, http = state
        if not codes[i]:
            raise StopIteration
        code = codes[i].pop()
        r = http.post(
            base + "/oidc/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
            auth=auth[0],
        )
        assert r.status_code == 200, r.text
        return state

    if "code_exchange" in flows:
        results["code_exchange"] = run_for(
            SECONDS, CLIENTS, lambda i: (i, requests.Session()), exchange
        )

    def first_tokens(i):
        http = requests.Session()
        r = http.post(
            base + "/oidc/token",
            data={
                "grant_type": "authorization_code",
                "code": pg_code(base, sessions[i]),
                "redirect_uri": REDIRECT,
            },
            auth=auth[0],
        )
        return (http, r.json())

    def refresh(state):
        http, tokens = state
        r = http.post(
            base + "/oidc/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=auth[0],
        )
        assert r.status_code == 200, r.text
        return (http, r.json())

    if "refresh" in flows:
        results["refresh"] = measured(
            "refresh", lambda: run_for(SECONDS, CLIENTS, first_tokens, refresh)
        )

    def userinfo(state):
        http, tokens = state
        r = http.get(
            base + "/oidc/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]}
        )
        assert r.status_code == 200, r.text
        return state

    if "userinfo" in flows:
        results["userinfo"] = measured(
            "userinfo", lambda: run_for(SECONDS, CLIENTS, first_tokens, userinfo)
        )
    return results


# -- panva's oidc-provider ----------------------------------------------------------------
def bench_oidc_provider(flows) -> dict | None:
    node, npm = shutil.which("node"), shutil.which("npm")
    folder = ROOT / "tests" / "oidc"
    if not node or not npm:
        print("  node/npm missing: no oidc-provider baseline")
        return None
    if not (folder / "node_modules" / "oidc-provider").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder, check=True
        )  # noqa: S603
    port = free_port()
    proc = subprocess.Popen(
        [
            node,
            "upstream.mjs",
            str(port),
            "bench",
            SECRET,
            REDIRECT,
            "acct",
            "045090123456",
            "bench",
        ],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # noqa: S603
    try:
        proc.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        meta = requests.get(base + "/.well-known/openid-configuration").json()

        def tokens(i):
            http = requests.Session()
            r = http.get(
                meta["authorization_endpoint"]
                + "?"
                + urlencode(
                    {
                        "client_id": "bench",
                        "redirect_uri": REDIRECT,
                        "response_type": "code",
                        "scope": "openid id_number",
                        "state": "s",
                        "nonce": "n",
                        "prompt": "consent",
                    }
                ),
                allow_redirects=False,
            )
            for _ in range(10):
                location = r.headers.get("Location", "")
                if location.startswith(REDIRECT):
                    break
                r = http.get(requests.compat.urljoin(r.url, location), allow_redirects=False)
            code = parse_qs(urlsplit(r.headers["Location"]).query)["code"][0]
            t = http.post(
                meta["token_endpoint"],
                data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
                auth=("bench", SECRET),
            )
            return (http, t.json())

        def refresh(state):
            http, tok = state
            r = http.post(
                meta["token_endpoint"],
                data={"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]},
                auth=("bench", SECRET),
            )
            assert r.status_code == 200, r.text
            new = r.json()
            new.setdefault("refresh_token", tok["refresh_token"])
            return (http, new)

        def userinfo(state):
            http, tok = state
            r = http.get(
                meta["userinfo_endpoint"],
                headers={"Authorization": "Bearer " + tok["access_token"]},
            )
            assert r.status_code == 200, r.text
            return state

        results = {}
        if "client_credentials" in flows:
            results["client_credentials"] = client_credentials(meta["token_endpoint"], MACHINE)
        if "refresh" in flows:
            results["refresh"] = run_for(SECONDS, CLIENTS, tokens, refresh)
        if "userinfo" in flows:
            results["userinfo"] = run_for(SECONDS, CLIENTS, tokens, userinfo)
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--only", default=",".join(FLOWS), help="comma-separated flows: " + ", ".join(FLOWS)
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="gunicorn workers (one core each; 1 by default)"
    )
    args = parser.parse_args()
    flows = [f for f in args.only.split(",") if f in FLOWS]
    port = free_port()
    hasher = prepare_database(port)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = subprocess.Popen(  # noqa: S603
        [
            gunicorn,
            "postgov.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            "1",
            "--log-level",
            "warning",
            "--config",
            str(ROOT / "bench" / "intake" / "gunicorn_counting.py"),
        ],
        cwd=ROOT,
        env={**env_for(port), "BENCH_STATEMENTS_FILE": STATEMENTS_FILE},
    )
    SERVER_PID[0] = server.pid
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz")
        ours = bench_postgov(base, flows)
    finally:
        server.terminate()
        server.wait(timeout=10)
    theirs = bench_oidc_provider(flows)
    per_core = {k: v / args.workers for k, v in ours.items()}
    vs_keycloak = {
        name: round(per_core[flow] / KEYCLOAK[figure], 2)
        for name, flow, figure in (
            ("password_logins", "logins", "logins"),
            ("refresh", "refresh", "refresh"),
            ("code_exchange_vs_keycloak_refresh_figure", "code_exchange", "refresh"),
            ("client_credentials_vs_keycloak_refresh_figure", "client_credentials", "refresh"),
        )
        if flow in per_core
    }
    report = {
        "machine": (
            f"{os.cpu_count()} cores; server: {args.workers} gunicorn worker(s) of one thread; "
            "PostgreSQL and the load generator share the machine"
        ),
        "hasher": hasher,
        "postgov": {k: round(v, 1) for k, v in ours.items()},
        "postgov_per_worker": {k: round(v, 1) for k, v in per_core.items()},
        "vs_keycloak_per_vcpu": vs_keycloak,
        "postgov_cost_per_request": COSTS,
    }
    if theirs:
        report["oidc_provider_one_process"] = {k: round(v, 1) for k, v in theirs.items()}
        report["postgov_vs_oidc_provider"] = {k: round(ours[k] / theirs[k], 2) for k in theirs}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "identity.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
