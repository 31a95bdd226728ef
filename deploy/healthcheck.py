"""Container health checks, without curl: `healthcheck.py /healthz` (or /readyz) asks the web
process on this container; `healthcheck.py database` (the worker) connects to the database.
Exits 0 when healthy."""

from __future__ import annotations

import http.client
import os
import sys


def web(path: str) -> bool:
    # The first allowed host: Django refuses other Host headers.
    host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip() or "localhost"
    port = int(os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=4)
    conn.request("GET", path, headers={"Host": host})
    return conn.getresponse().status == 200


def database() -> bool:
    import dj_database_url
    import psycopg

    db = dj_database_url.parse(os.environ["DATABASE_URL"])
    params = {"dbname": db["NAME"], "connect_timeout": 4}
    for key, name in (
        ("HOST", "host"),
        ("PORT", "port"),
        ("USER", "user"),
        ("PASSWORD", "password"),
    ):
        if db.get(key):
            params[name] = db[key]
    with psycopg.connect(**params) as conn:
        conn.execute("SELECT 1")
    return True


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "/healthz"
    try:
        healthy = database() if what == "database" else web(what)
    except Exception as exc:  # noqa: BLE001 — any failure is "unhealthy", said briefly
        print(f"unhealthy: {exc.__class__.__name__}", file=sys.stderr)
        sys.exit(1)
    sys.exit(0 if healthy else 1)
