"""Monthly range partitions of the append-only logs on PostgreSQL (the dossiers' event log,
the audit trail).

A log partitioned by its time column keeps each month in its own table: old months stay
untouched on disk (vacuum and backups of cold months cost nothing), a date-bounded query
reads only the months it names, and a month can later be detached and archived whole.
SQLite keeps plain tables: everything here returns at once on another database.

Partitions are named `<table>_yYYYYmMM` and bounded by the site's local months (the reports
count by local day). `<table>_default` takes whatever falls outside the months made, so an
insert never fails; `ensure_partitions` makes the coming months ahead of time and moves
rows that had landed in the default partition into their month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

MONTHS_AHEAD = 3


class PartitionError(Exception):
    pass


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_of(moment: datetime) -> date:
    local = timezone.localtime(moment)
    return date(local.year, local.month, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_y{month.year:04d}m{month.month:02d}"


def _bound(month: date) -> str:
    """The first instant of a local month, as a literal PostgreSQL reads without the
    session's time zone."""
    start = datetime(month.year, month.month, 1, tzinfo=timezone.get_default_timezone())
    return start.isoformat()


def span(month: date) -> str:
    """The `FOR VALUES` clause of a month's partition."""
    # DDL takes no parameters; the bounds are ISO timestamps made here, never input.
    return f"FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(add_months(month, 1))}')"


def qn(connection: BaseDatabaseWrapper, name: str) -> str:
    """A table or column name quoted for the database."""
    # Every table and column name in the statements here goes through this quoting; they
    # come from the migrations and the catalog, never from input.
    return connection.ops.quote_name(name)


def is_partitioned(connection: BaseDatabaseWrapper, table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_catalog.pg_partitioned_table p "
            "JOIN pg_catalog.pg_class c ON c.oid = p.partrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relname = %s",
            [table],
        )
        return cursor.fetchone() is not None


def create_partitioned_like(
    cursor: Any,
    connection: BaseDatabaseWrapper,
    table: str,
    staging: str,
    column: str,
    months_ahead: int,
) -> None:
    """Make `staging`, with `table`'s columns, partitioned by month of `column`: a partition
    for each month from `table`'s first row (or this month) to `months_ahead` after its
    last (or this month), and `<table>_default`. The partitions take `table`'s names."""
    q, qs, qc = qn(connection, table), qn(connection, staging), qn(connection, column)
    cursor.execute(f"SELECT min({qc}), max({qc}) FROM {q}")  # noqa: S608
    first, last = cursor.fetchone()
    cursor.execute(
        f"CREATE TABLE {qs} (LIKE {q} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        f"INCLUDING IDENTITY) PARTITION BY RANGE ({qc})"
    )
    this_month = month_of(timezone.now())
    month = min(month_of(first), this_month) if first else this_month
    end = add_months(max(month_of(last), this_month) if last else this_month, months_ahead)
    while month <= end:
        cursor.execute(
            f"CREATE TABLE {qn(connection, partition_name(table, month))} PARTITION OF {qs} "
            f"{span(month)}"
        )
        month = add_months(month, 1)
    cursor.execute(f"CREATE TABLE {qn(connection, table + '_default')} PARTITION OF {qs} DEFAULT")


def partition_by_month(
    connection: BaseDatabaseWrapper,
    table: str,
    column: str = "at",
    *,
    unique_to_plain: tuple[str, ...] = (),
    months_ahead: int = MONTHS_AHEAD,
) -> None:
    """Turn the plain `table` into one partitioned by month of `column`, rows copied.

    The primary key becomes (id, column): PostgreSQL wants the partition key in every
    unique index; ids still come from one identity sequence, so they stay unique. The
    unique indexes named in `unique_to_plain` become plain indexes of the same name (their
    uniqueness must then be kept by the writer); any other unique index stops the change.
    Foreign keys from the table are kept; a foreign key into it cannot point at a
    partitioned table without the partition key, so one found stops the change.

    The table is locked for the copy: the old code's inserts wait, then land in the new
    table under the same name, with the same columns."""
    if connection.vendor != "postgresql" or is_partitioned(connection, table):
        return
    q = qn(connection, table)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {q} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(
            "SELECT conname, conrelid::regclass::text FROM pg_catalog.pg_constraint "
            "WHERE contype = 'f' AND confrelid = %s::regclass",
            [table],
        )
        if incoming := cursor.fetchall():
            raise PartitionError(f"{table}: foreign keys point into it: {incoming}")
        cursor.execute(
            "SELECT i.relname, pg_catalog.pg_get_indexdef(i.oid), x.indisunique, x.indisprimary "
            "FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass ORDER BY i.relname",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint "
            "WHERE contype = 'f' AND conrelid = %s::regclass ORDER BY conname",
            [table],
        )
        foreign_keys = cursor.fetchall()
        for name, _definition, unique, primary in indexes:
            if unique and not primary and name not in unique_to_plain:
                raise PartitionError(f"{table}: unique index {name} lacks {column}")

        staging = f"{table}__partitioned"
        qs = qn(connection, staging)
        create_partitioned_like(cursor, connection, table, staging, column, months_ahead)
        cursor.execute(f"INSERT INTO {qs} OVERRIDING SYSTEM VALUE SELECT * FROM {q}")  # noqa: S608
        cursor.execute(f"DROP TABLE {q}")
        cursor.execute(f"ALTER TABLE {qs} RENAME TO {q}")
        # The identity's sequence was made for the staging name; give it the usual one and
        # carry on after the copied ids.
        cursor.execute("SELECT pg_catalog.pg_get_serial_sequence(%s, 'id')", [table])
        (sequence,) = cursor.fetchone()
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {qn(connection, table + '_id_seq')}")
        cursor.execute(
            "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
            f"coalesce(max(id), 1), max(id) IS NOT NULL) FROM {q}",
            [table],
        )
        cursor.execute(
            f"ALTER TABLE {q} ADD CONSTRAINT {qn(connection, table + '_pkey')} "
            f"PRIMARY KEY (id, {qn(connection, column)})"
        )
        for _name, definition, unique, primary in indexes:
            if primary:
                continue
            if unique:
                definition = definition.replace("CREATE UNIQUE INDEX", "CREATE INDEX", 1)
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {q} ADD CONSTRAINT {qn(connection, name)} {definition}")


def plain_again(
    connection: BaseDatabaseWrapper,
    table: str,
    *,
    unique_again: tuple[str, ...] = (),
) -> None:
    """Undo `partition_by_month`: the rows copied back into one plain table of the same
    name, its primary key `id` again, the indexes named in `unique_again` unique again
    (as constraints of those names), the other indexes and foreign keys kept."""
    if not is_partitioned(connection, table):
        return
    q = qn(connection, table)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {q} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(
            "SELECT i.relname, pg_catalog.pg_get_indexdef(i.oid), x.indisprimary "
            "FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass ORDER BY i.relname",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint "
            "WHERE contype = 'f' AND conrelid = %s::regclass AND conparentid = 0 "
            "ORDER BY conname",
            [table],
        )
        foreign_keys = cursor.fetchall()
        staging = f"{table}__plain"
        qs = qn(connection, staging)
        cursor.execute(
            f"CREATE TABLE {qs} (LIKE {q} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            "INCLUDING IDENTITY)"
        )
        cursor.execute(f"INSERT INTO {qs} OVERRIDING SYSTEM VALUE SELECT * FROM {q}")  # noqa: S608
        cursor.execute(f"DROP TABLE {q}")
        cursor.execute(f"ALTER TABLE {qs} RENAME TO {q}")
        cursor.execute("SELECT pg_catalog.pg_get_serial_sequence(%s, 'id')", [table])
        (sequence,) = cursor.fetchone()
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {qn(connection, table + '_id_seq')}")
        cursor.execute(
            "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
            f"coalesce(max(id), 1), max(id) IS NOT NULL) FROM {q}",
            [table],
        )
        cursor.execute(
            f"ALTER TABLE {q} ADD CONSTRAINT {qn(connection, table + '_pkey')} PRIMARY KEY (id)"
        )
        for name, definition, primary in indexes:
            if primary:
                continue
            # A partitioned table's index reads "ON ONLY <table>".
            definition = definition.replace(" ON ONLY ", " ON ", 1)
            if name in unique_again:
                definition = definition.replace("CREATE INDEX", "CREATE UNIQUE INDEX", 1)
            cursor.execute(definition)
            if name in unique_again:
                cursor.execute(
                    f"ALTER TABLE {q} ADD CONSTRAINT {qn(connection, name)} UNIQUE USING INDEX "
                    f"{qn(connection, name)}"
                )
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {q} ADD CONSTRAINT {qn(connection, name)} {definition}")


@dataclass
class Made:
    table: str
    partition: str
    rows_moved: int


def partitioned_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """The tables partitioned by month here: range-partitioned, with our default partition."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_catalog.pg_partitioned_table p "
            "JOIN pg_catalog.pg_class c ON c.oid = p.partrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND p.partstrat = 'r' "
            "AND to_regclass(quote_ident(c.relname || '_default')) IS NOT NULL "
            "ORDER BY c.relname"
        )
        return [row[0] for row in cursor.fetchall()]


def partitions_of(connection: BaseDatabaseWrapper, table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_catalog.pg_inherits i "
            "JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def _partition_key(connection: BaseDatabaseWrapper, table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_catalog.pg_partitioned_table p "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = p.partrelid "
            "AND a.attnum = p.partattrs[0] WHERE p.partrelid = %s::regclass",
            [table],
        )
        row = cursor.fetchone()
    if row is None:
        raise PartitionError(f"{table} is not partitioned by one column")
    return str(row[0])


def ensure_partitions(
    connection: BaseDatabaseWrapper,
    *,
    months_ahead: int = MONTHS_AHEAD,
    now: datetime | None = None,
) -> list[Made]:
    """Make the partitions of this month and the `months_ahead` after it for every table
    partitioned by month; idempotent. Rows of those months found in the default partition
    (inserted before their month was made) move into it."""
    made: list[Made] = []
    this_month = month_of(now or timezone.now())
    for table in partitioned_tables(connection):
        existing = set(partitions_of(connection, table))
        column = qn(connection, _partition_key(connection, table))
        default = qn(connection, table + "_default")
        for ahead in range(months_ahead + 1):
            month = add_months(this_month, ahead)
            name = partition_name(table, month)
            if name in existing:
                continue
            with transaction.atomic(using=connection.alias):
                made.append(_make(connection, table, column, default, name, month))
    return made


def _make(
    connection: BaseDatabaseWrapper, table: str, column: str, default: str, name: str, month: date
) -> Made:
    q, qp = qn(connection, table), qn(connection, name)
    bounds = [_bound(month), _bound(add_months(month, 1))]
    with connection.cursor() as cursor:
        # Held until the end of the transaction: no insert may land in the default
        # partition between the move and the attach.
        cursor.execute("SELECT pg_catalog.pg_advisory_xact_lock(hashtext(%s))", [table])
        if name in partitions_of(connection, table):
            return Made(table, name, 0)
        cursor.execute(f"LOCK TABLE {default} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(
            f"SELECT count(*) FROM {default} WHERE {column} >= %s AND {column} < %s",  # noqa: S608
            bounds,
        )
        (waiting,) = cursor.fetchone()
        if not waiting:
            cursor.execute(f"CREATE TABLE {qp} PARTITION OF {q} {span(month)}")
            return Made(table, name, 0)
        cursor.execute(f"CREATE TABLE {qp} (LIKE {q} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {default} WHERE {column} >= %s AND {column} < %s "  # noqa: S608
            f"RETURNING *) INSERT INTO {qp} SELECT * FROM moved",
            bounds,
        )
        cursor.execute(f"ALTER TABLE {q} ATTACH PARTITION {qp} {span(month)}")
        return Made(table, name, waiting)
