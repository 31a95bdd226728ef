"""The event log and the audit trail, partitioned by month on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from postgov.audit.actions import record, verify_chain
from postgov.dossiers.models import DossierEvent
from postgov.lib.partitions import (
    PartitionError,
    ensure_partitions,
    partition_by_month,
    partitions_of,
)
from postgov.ops.backups import table_counts
from tests.factories import make_dossier

pytestmark = pytest.mark.postgres

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Months far from today, so the migration has not made them.
MAY_2031 = dt.datetime(2031, 5, 10, 9, 0, tzinfo=VN)
JANUARY_2032 = dt.datetime(2032, 1, 15, 9, 0, tzinfo=VN)


def _partition_of(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def _event(dossier, at: dt.datetime) -> DossierEvent:
    return DossierEvent.objects.create(
        dossier=dossier,
        province=dossier.province,
        action="receive",
        code=dossier.code or "TEST",
        to_status="received",
        at=at,
    )


def _explain(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_both_logs_are_partitioned_with_a_default(db):
    for table in ("dossiers_dossierevent", "audit_auditevent"):
        names = partitions_of(connection, table)
        assert f"{table}_default" in names
        assert any(name.startswith(f"{table}_y") for name in names)


def test_rows_land_in_their_months_partition(world):
    assert [m.partition for m in ensure_partitions(connection, now=MAY_2031)] == [
        f"{table}_y2031m{month:02d}"
        for table in ("audit_auditevent", "dossiers_dossierevent")
        for month in (5, 6, 7, 8)
    ]
    dossier = make_dossier(world)
    event = _event(dossier, MAY_2031)
    # The last instant of May, local time, is still May; the next is June.
    last_of_may = _event(dossier, dt.datetime(2031, 5, 31, 23, 59, 59, tzinfo=VN))
    first_of_june = _event(dossier, dt.datetime(2031, 6, 1, tzinfo=VN))
    assert _partition_of("dossiers_dossierevent", event.pk) == "dossiers_dossierevent_y2031m05"
    assert _partition_of("dossiers_dossierevent", last_of_may.pk).endswith("_y2031m05")
    assert _partition_of("dossiers_dossierevent", first_of_june.pk).endswith("_y2031m06")
    with time_machine.travel(MAY_2031, tick=False):
        audit = record("test.partition", object_type="dossier", object_id=dossier.pk)
    assert _partition_of("audit_auditevent", audit.pk) == "audit_auditevent_y2031m05"
    # The ORM still reads an event by its id alone.
    assert DossierEvent.objects.get(pk=event.pk).at == MAY_2031
    assert verify_chain()[1] == []


def test_making_partitions_again_makes_nothing(db):
    ensure_partitions(connection, now=MAY_2031)
    before = partitions_of(connection, "audit_auditevent")
    assert ensure_partitions(connection, now=MAY_2031) == []
    call_command("ensure_partitions", verbosity=0)
    call_command("ensure_partitions", verbosity=0)
    assert set(before) <= set(partitions_of(connection, "audit_auditevent"))


def test_rows_waiting_in_the_default_partition_move_into_their_month(world):
    dossier = make_dossier(world)
    with time_machine.travel(JANUARY_2032, tick=False):
        first = record("test.partition", object_type="dossier", object_id=dossier.pk)
        second = record("test.partition", object_type="dossier", object_id=dossier.pk)
    event = _event(dossier, JANUARY_2032)
    assert _partition_of("audit_auditevent", first.pk) == "audit_auditevent_default"
    assert _partition_of("dossiers_dossierevent", event.pk) == "dossiers_dossierevent_default"

    made = {m.partition: m.rows_moved for m in ensure_partitions(connection, now=JANUARY_2032)}

    assert made["audit_auditevent_y2032m01"] == 2
    assert made["dossiers_dossierevent_y2032m01"] == 1
    assert _partition_of("audit_auditevent", second.pk) == "audit_auditevent_y2032m01"
    assert _partition_of("dossiers_dossierevent", event.pk) == "dossiers_dossierevent_y2032m01"
    checked, problems = verify_chain()
    assert checked >= 2 and problems == []
    call_command("audit_verify", verbosity=0)


def test_a_date_bounded_query_reads_one_month_through_the_index(db):
    ensure_partitions(connection, now=MAY_2031)
    plan = _explain(
        "SELECT * FROM dossiers_dossierevent WHERE dossier_id = %s AND at >= %s AND at < %s",
        [1, dt.datetime(2031, 5, 1, tzinfo=VN), dt.datetime(2031, 6, 1, tzinfo=VN)],
    )
    assert "dossiers_dossierevent_y2031m05" in plan
    assert "dossiers_dossierevent_y2031m06" not in plan
    assert "dossiers_dossierevent_default" not in plan
    assert "Index" in plan
    # Without dates, a dossier's timeline still goes through each month's index.
    plan = _explain("SELECT * FROM dossiers_dossierevent WHERE dossier_id = %s ORDER BY at", [1])
    assert "Seq Scan" not in plan


def test_backup_counts_a_partitioned_table_once(world):
    _event(make_dossier(world), MAY_2031)
    counts = table_counts()
    assert "dossiers_dossierevent" in counts
    assert not any(name.startswith("dossiers_dossierevent_") for name in counts)
    assert counts["dossiers_dossierevent"] == DossierEvent.objects.count()


# -- the change itself, on a table of the test's own ---------------------------------------


PLAIN = ("scratch_log_seq_key",)


def _scratch(rows: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE scratch_log (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            "seq bigint NOT NULL UNIQUE, at timestamptz NOT NULL, "
            "amount integer NOT NULL CHECK (amount >= 0))"
        )
        cursor.execute("CREATE INDEX scratch_log_amount ON scratch_log (amount)")
        cursor.execute(
            "INSERT INTO scratch_log (seq, at, amount) SELECT n, "
            "timestamptz '2030-01-15 12:00+07' + n * interval '20 days', n "
            "FROM generate_series(1, %s) n",
            [rows],
        )


def test_the_change_copies_every_row_into_its_month(db):
    _scratch(30)
    partition_by_month(connection, "scratch_log", "at", unique_to_plain=PLAIN)
    names = partitions_of(connection, "scratch_log")
    assert "scratch_log_y2030m01" in names and "scratch_log_default" in names
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT tableoid), max(id) FROM scratch_log "
            "WHERE tableoid <> 'scratch_log_default'::regclass"
        )
        start = dt.datetime(2030, 1, 15, 12, tzinfo=VN)
        months = {(start + dt.timedelta(days=20 * n)).strftime("%Y%m") for n in range(1, 31)}
        assert cursor.fetchone() == (30, len(months), 30)
        cursor.execute(
            "INSERT INTO scratch_log (seq, at, amount) VALUES (31, now(), 1) RETURNING id"
        )
        assert cursor.fetchone()[0] == 31
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'scratch_log' ORDER BY indexname"
        )
        assert [row[0] for row in cursor.fetchall()] == [
            "scratch_log_amount",
            "scratch_log_pkey",
            "scratch_log_seq_key",
        ]
    # Twice is once.
    partition_by_month(connection, "scratch_log", "at", unique_to_plain=PLAIN)


def test_the_change_refuses_a_unique_index_or_a_foreign_key_into_the_table(db):
    _scratch(3)
    with pytest.raises(PartitionError, match="scratch_log_seq_key"):
        partition_by_month(connection, "scratch_log", "at")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE scratch_child (log_id bigint REFERENCES scratch_log (id))")
    with pytest.raises(PartitionError, match="foreign keys"):
        partition_by_month(connection, "scratch_log", "at", unique_to_plain=PLAIN)
