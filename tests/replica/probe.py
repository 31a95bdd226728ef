"""Run by tests/replica/test_read_replica.py in its own process, against a primary and its
streaming standby (DATABASE_URL, DATABASE_REPLICA_URL): prints, as JSON, where the
report pages' reads and every write went."""

from __future__ import annotations

import json
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from postgov.dossiers.models import Dossier  # noqa: E402
from postgov.lib.replica import lagging_reads  # noqa: E402
from tests.clients import PostGovClient  # noqa: E402
from tests.factories import make_dossier  # noqa: E402
from tests.personas import build_world, make_national_admin  # noqa: E402

WRITES = ("INSERT", "UPDATE", "DELETE", "SELECT PG_WAL", "CREATE", "ALTER", "DROP")


def _scalar(alias: str, sql: str, params: list | None = None):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def _caught_up() -> None:
    """Wait until the standby has replayed everything the primary has written."""
    target = _scalar("default", "SELECT pg_current_wal_lsn()::text")
    for _ in range(200):
        if _scalar("replica", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]):
            return
        time.sleep(0.05)
    raise RuntimeError("the standby did not catch up in 10 s")


def main() -> None:
    setup_test_environment()
    statements: dict[str, list[str]] = {"default": [], "replica": []}

    def recorder(alias):
        def wrapper(execute, sql, params, many, context):
            statements[alias].append(sql)
            return execute(sql, params, many, context)

        return wrapper

    world = build_world()
    admin = make_national_admin()
    make_dossier(world)
    _caught_up()
    result = {
        "default_in_recovery": _scalar("default", "SELECT pg_is_in_recovery()"),
        "replica_in_recovery": _scalar("replica", "SELECT pg_is_in_recovery()"),
    }

    client = PostGovClient()
    client.force_login(admin)
    with (
        connections["default"].execute_wrapper(recorder("default")),
        connections["replica"].execute_wrapper(recorder("replica")),
    ):
        page = client.get(reverse("reports:dashboard"))
        result["dashboard_status"] = page.status_code
        result["dashboard_reads_on_replica"] = len(statements["replica"])
        result["dashboard_dossier_reads_on_primary"] = sum(
            '"dossiers_' in sql for sql in statements["default"]
        )
        # A page outside the list, and writes, stay on the primary.
        before = len(statements["replica"])
        other = client.get(reverse("reports:reconciliation"))
        result["reconciliation_status"] = other.status_code
        result["reconciliation_reads_on_replica"] = len(statements["replica"]) - before
        with lagging_reads():
            make_dossier(world)
        result["writes_on_replica"] = [
            sql for sql in statements["replica"] if sql.lstrip().upper().startswith(WRITES)
        ]

    # With the standby's replay paused, a dossier written on the primary is missing from
    # the lagging reads only: they are the standby's.
    _caught_up()
    _scalar("replica", "SELECT pg_wal_replay_pause()::text")
    try:
        make_dossier(world)
        result["count_on_primary"] = Dossier.objects.count()
        with lagging_reads():
            result["count_on_lagging_reads"] = Dossier.objects.count()
    finally:
        _scalar("replica", "SELECT pg_wal_replay_resume()::text")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
