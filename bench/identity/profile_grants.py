#!/usr/bin/env python
"""Where a token grant's time and statements go, in one process on PostgreSQL.

Runs refresh grants and client-credentials grants through Django's test client (the whole
middleware stack, no HTTP server), prints the statements of one grant of each kind and a
cProfile summary over `--grants` grants. A developer's tool: the rates it shows are not
comparable with bench/identity/run.py (no server, no sockets).

    .venv/bin/python bench/identity/profile_grants.py --grants 300

Database: PostgreSQL `pg_identity_profile` (PROFILE_DATABASE_URL to change), created if
missing and reset each run.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POSTGOV_ENV", "development")

DB_URL = os.environ.get(
    "PROFILE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pg_identity_profile"
)
SECRET = "profile-secret-0123456789abcdefghijklmnopqrstuvwxyz"
REDIRECT = "http://127.0.0.1:9/cb"


def setup() -> None:
    import psycopg

    base, _, name = DB_URL.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(
        {
            "DATABASE_URL": DB_URL,
            "DEBUG": "false",
            "SITE_URL": "http://127.0.0.1",
            "OIDC_ISSUER": "http://127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "DB_CONN_MAX_AGE": "600",
            "REDIS_URL": os.environ.get("PROFILE_REDIS", ""),
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def basic(client_id: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{SECRET}".encode()).decode()


def first_refresh_token(client) -> str:
    from postgov.identity import authn
    from postgov.identity.models import RelyingParty, User

    user = User.objects.create(username="profile", full_name="Nguyễn Văn Đo")
    RelyingParty.objects.create(
        name="profile",
        client_id="profile",
        client_type="confidential",
        client_secret=SECRET,
        redirect_uris=REDIRECT,
        allowed_scopes=["openid", "profile"],
        skip_authorization=True,
        subject_type="pairwise",
    )
    RelyingParty.objects.create(
        name="profile machine",
        client_id="machine",
        client_type="confidential",
        authorization_grant_type=RelyingParty.GRANT_CLIENT_CREDENTIALS,
        client_secret=SECRET,
        redirect_uris="",
        allowed_scopes=["agency.dossiers.read"],
        skip_authorization=True,
        token_endpoint_auth_method="client_secret_basic",
    )
    client.force_login(user)
    session = client.session
    now = int(time.time())
    session[authn.AUTH] = {
        "time": now,
        "amr": ["pwd"],
        "mfa_time": None,
        "sid": None,
        "via": "password",
        "level_cap": 2,
    }
    session.save()
    params = {
        "client_id": "profile",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid profile",
        "state": "s",
        "nonce": "n",
    }
    response = client.get("/oidc/authorize?" + urlencode(params))
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    client.logout()
    tokens = client.post(
        "/oidc/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        HTTP_AUTHORIZATION=basic("profile"),
    ).json()
    return tokens["refresh_token"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grants", type=int, default=300)
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument(
        "--no-profile", action="store_true", help="only the CPU per grant, without cProfile"
    )
    parser.add_argument(
        "--dump", metavar="PREFIX", help="also write each grant's profile to PREFIX-<grant>.prof"
    )
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    state = {"refresh": first_refresh_token(client)}

    def refresh() -> None:
        response = client.post(
            "/oidc/token",
            {"grant_type": "refresh_token", "refresh_token": state["refresh"]},
            HTTP_AUTHORIZATION=basic("profile"),
        )
        assert response.status_code == 200, response.content
        state["refresh"] = response.json()["refresh_token"]

    def client_credentials() -> None:
        response = client.post(
            "/oidc/token",
            {"grant_type": "client_credentials", "scope": "agency.dossiers.read"},
            HTTP_AUTHORIZATION=basic("machine"),
        )
        assert response.status_code == 200, response.content

    for name, grant in (("refresh", refresh), ("client_credentials", client_credentials)):
        for _ in range(20):
            grant()  # warm caches, compile regexes, open the connection
        with CaptureQueriesContext(connection) as captured:
            grant()
        print(f"\n== {name}: {len(captured.captured_queries)} statements")
        for query in captured.captured_queries:
            print("  ", query["sql"][:150])
        # CPU time, not wall time: waits for PostgreSQL are not this process's cost.
        profiler = cProfile.Profile(time.process_time)
        started = time.process_time()
        if not args.no_profile:
            profiler.enable()
        for _ in range(args.grants):
            grant()
        profiler.disable()
        spent = (time.process_time() - started) * 1000 / args.grants
        on = "off" if args.no_profile else "on"
        print(f"== {name}: {spent:.2f} ms of this process's CPU per grant (profiler {on})")
        if args.no_profile:
            continue
        if args.dump:
            profiler.dump_stats(f"{args.dump}-{name}.prof")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
