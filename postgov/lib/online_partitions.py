"""Turning a large plain log into the monthly partitioned shape while it keeps taking writes.

`partition_by_month` copies every row under an exclusive lock: right for a small table,
a stop of every write for many minutes on a table of a hundred million rows. Here the same
shape (same partitions and bounds, `<table>_default`, primary key (id, at), the indexes
named in `unique_to_plain` made plain, foreign keys kept, the identity sequence carried
on under the name `<table>_id_seq`) is built beside the live table in steps that each hold
a lock only briefly:

1. `prepare`: the staging table `<table>__partitioned` with its months, its default
   partition, its primary key, indexes and foreign keys, all made while it is empty. An
   index made later on a partitioned table would lock every partition for the whole build
   (PostgreSQL cannot build one concurrently), and the copied inserts would wait behind it.
2. `capture`: in one short transaction, a trigger on the plain table that repeats every
   new row into the staging table, and the high-water mark `max(id)` read after it.
   CREATE TRIGGER takes a lock that waits for every transaction that has inserted into the
   table to end, and makes later inserts wait for this transaction. So when the mark is
   read, every row with an id up to it is committed (and visible to the read, which takes
   a new snapshot); every insert after the mark's transaction commits fires the trigger
   and takes an id from the sequence after the mark. No row is missed and none is copied
   twice: the backfill copies only ids up to the mark, the trigger only the later ones.
   The mark is kept in a comment on the staging table, so a rerun carries on with it.
3. `backfill`: ids up to the mark copied in batches of ids, each batch its own transaction
   and its count checked against the plain table's in that transaction. A rerun carries
   on after the highest id up to the mark the staging table already holds (batches commit
   in id order).
4. `swap`: in one short transaction under `lock_timeout` (tried a few times): the plain
   table locked, the staging table checked to hold the same highest id and the same
   number of rows above the mark (the rows below it were counted batch by batch), the
   trigger dropped, the plain table renamed `<table>__plain_old` (its indexes and sequence
   too), the staging table, its indexes and its sequence given the usual names, the
   sequence set past the old one. The old table stays for the operator to compare and drop
   (`drop_old`).

Both logs are append-only: an audit event refuses to be changed or deleted
(`AuditEvent.save`/`delete`), and nothing updates an event of the dossiers. One thing does
delete events: removing a training class's practice dossiers
(`dossiers.actions.delete_practice`). The trigger repeats a delete in the staging table
too. A delete racing with the batch that copies its row could otherwise leave the copy
behind (the delete's trigger runs before the batch commits, and does not see it): each
batch holds an advisory lock that the delete's trigger waits for, so the trigger runs
either before the batch reads the plain table (the row is gone by then) or after the batch
commits (the copy is there to delete). An update is refused while the conversion runs.

A foreign key pointing into the table cannot survive the change (it would need the
partition key). The ones the migrations already drop (`LOGS`) are dropped at the swap;
any other stops the conversion before it starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from postgov.lib.partitions import (
    MONTHS_AHEAD,
    PartitionError,
    create_partitioned_like,
    is_partitioned,
    qn,
)

STAGING = "{}__partitioned"
OLD = "{}__plain_old"
MARK_PREFIX = "online partition mark: "


@dataclass(frozen=True)
class Log:
    """One append-only log the project partitions by month: the single source of its
    settings for the migrations and the online conversion."""

    column: str = "at"
    unique_to_plain: tuple[str, ...] = ()
    # Foreign keys into the table (referencing table, column) that the migration turns
    # into plain relations (db_constraint=False); the swap drops them.
    incoming_dropped: tuple[tuple[str, str], ...] = ()


LOGS: dict[str, Log] = {
    "dossiers_dossierevent": Log(incoming_dropped=(("dossiers_eventattachment", "event_id"),)),
    "audit_auditevent": Log(
        unique_to_plain=("audit_auditevent_seq_key", "audit_auditevent_hash_key")
    ),
}

Progress = Callable[[str], None]


def _quiet(_line: str) -> None:
    pass


def _names(table: str) -> tuple[str, str, str, str]:
    """The staging and old tables, the trigger's function and the advisory lock key."""
    return STAGING.format(table), OLD.format(table), f"{table}__online_copy", f"{table}__online"


def _exists(connection: BaseDatabaseWrapper, name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(quote_ident(%s)) IS NOT NULL", [name])
        return bool(cursor.fetchone()[0])


def _renamed(name: str, suffix: str) -> str:
    # PostgreSQL cuts names at 63 bytes; keep the suffix that tells them apart.
    return name[: 63 - len(suffix)] + suffix


def check_can_convert(connection: BaseDatabaseWrapper, table: str, log: Log | None = None) -> Log:
    """The table's settings, or a clear refusal. `log` stands in for `LOGS` (the tests'
    own tables)."""
    if connection.vendor != "postgresql":
        raise PartitionError(
            "Partitioning online needs PostgreSQL; SQLite keeps the logs as plain tables."
        )
    if log is None and table not in LOGS:
        raise PartitionError(
            f"{table}: not one of the logs partitioned by month ({', '.join(sorted(LOGS))})."
        )
    if not _exists(connection, table):
        raise PartitionError(f"{table}: no such table in this database.")
    if is_partitioned(connection, table):
        raise PartitionError(f"{table} is already partitioned; nothing to do.")
    return log or LOGS[table]


def _indexes(connection: BaseDatabaseWrapper, table: str) -> list[tuple[str, str, bool, bool]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, pg_catalog.pg_get_indexdef(i.oid), x.indisunique, x.indisprimary "
            "FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass ORDER BY i.relname",
            [table],
        )
        return list(cursor.fetchall())


def _incoming(connection: BaseDatabaseWrapper, table: str) -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conname, c.conrelid::regclass::text, a.attname "
            "FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_attribute a "
            "ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND c.confrelid = %s::regclass ORDER BY c.conname",
            [table],
        )
        return list(cursor.fetchall())


def prepare(
    connection: BaseDatabaseWrapper,
    table: str,
    log: Log,
    *,
    months_ahead: int = MONTHS_AHEAD,
    lock_timeout: str = "2s",
) -> None:
    """Step 1: the empty staging table in the final shape, under temporary index names.
    Nothing to do when it exists (a rerun). Its foreign keys lock the tables they point at
    against writes until it commits: briefly, and never waiting longer than
    `lock_timeout` (writers would queue behind the wait)."""
    staging, _old, _function, _key = _names(table)
    if _exists(connection, staging):
        return
    qs, qc = qn(connection, staging), qn(connection, log.column)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
        indexes = _indexes(connection, table)
        for name, _definition, unique, primary in indexes:
            if unique and not primary and name not in log.unique_to_plain:
                raise PartitionError(f"{table}: unique index {name} lacks {log.column}")
        for name, referencing, column in _incoming(connection, table):
            if (referencing, column) not in log.incoming_dropped:
                raise PartitionError(
                    f"{table}: the foreign key {name} of {referencing} points into it; "
                    "a partitioned table cannot be its target."
                )
        cursor.execute(
            "SELECT conname, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint "
            "WHERE contype = 'f' AND conrelid = %s::regclass ORDER BY conname",
            [table],
        )
        foreign_keys = cursor.fetchall()
        # The first and last rows are read through the column's index where there is one;
        # no lock beyond a read.
        create_partitioned_like(cursor, connection, table, staging, log.column, months_ahead)
        cursor.execute(
            f"ALTER TABLE {qs} ADD CONSTRAINT {qn(connection, _renamed(table, '__new_pkey'))} "
            f"PRIMARY KEY (id, {qc})"
        )
        for name, definition, unique, primary in indexes:
            if primary:
                continue
            if unique:
                definition = definition.replace("CREATE UNIQUE INDEX", "CREATE INDEX", 1)
            # "CREATE INDEX <name> ON <schema>.<table> USING ..." made again on the staging
            # table under a temporary name: index names are one namespace with the tables.
            _head, _sep, tail = definition.partition(" USING ")
            cursor.execute(
                f"CREATE INDEX {qn(connection, _renamed(name, '__new'))} ON {qs} USING {tail}"
            )
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {qs} ADD CONSTRAINT {qn(connection, name)} {definition}")


def _mark(connection: BaseDatabaseWrapper, staging: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [staging])
        comment = cursor.fetchone()[0] or ""
    if not comment.startswith(MARK_PREFIX):
        return None
    return int(comment.removeprefix(MARK_PREFIX))


def capture(connection: BaseDatabaseWrapper, table: str, *, lock_timeout: str = "2s") -> int:
    """Step 2: the trigger and the mark, in one transaction (see the module's docstring for
    why no row is missed or doubled). Returns the mark; a rerun returns the one kept. The
    trigger's lock waits for the inserts in flight, never longer than `lock_timeout`."""
    staging, _old, function, key = _names(table)
    mark = _mark(connection, staging)
    if mark is not None:
        return mark
    q, qs, qf = qn(connection, table), qn(connection, staging), qn(connection, function)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
        cursor.execute(
            f"CREATE FUNCTION {qf}() RETURNS trigger LANGUAGE plpgsql AS $body$ "  # noqa: S608
            "BEGIN "
            "IF TG_OP = 'INSERT' THEN "
            f"INSERT INTO {qs} SELECT (NEW).*; "
            "ELSIF TG_OP = 'DELETE' THEN "
            f"PERFORM pg_catalog.pg_advisory_xact_lock_shared(hashtext('{key}')); "
            f"DELETE FROM {qs} WHERE id = OLD.id; "
            "ELSE "
            f"RAISE EXCEPTION '{table} is being partitioned: its rows cannot change'; "
            "END IF; "
            "RETURN NULL; "
            "END $body$"
        )
        cursor.execute(
            f"CREATE TRIGGER {qf} AFTER INSERT OR UPDATE OR DELETE ON {q} "
            f"FOR EACH ROW EXECUTE FUNCTION {qf}()"
        )
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {q}")  # noqa: S608
        (mark,) = cursor.fetchone()
        # An integer made here: DDL takes no parameters.
        cursor.execute(f"COMMENT ON TABLE {qs} IS '{MARK_PREFIX}{int(mark)}'")
    return int(mark)


def _copied_up_to(connection: BaseDatabaseWrapper, staging: str, mark: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT coalesce(max(id), 0) FROM {qn(connection, staging)} WHERE id <= %s",  # noqa: S608
            [mark],
        )
        return int(cursor.fetchone()[0])


def backfill(
    connection: BaseDatabaseWrapper,
    table: str,
    mark: int,
    *,
    batch: int = 50_000,
    max_batches: int | None = None,
    progress: Progress = _quiet,
) -> int:
    """Step 3: copy ids up to `mark` in batches of `batch` ids, each in its own transaction.
    Returns how many rows this call copied; `max_batches` stops early (a rerun resumes)."""
    staging, _old, _function, key = _names(table)
    q, qs = qn(connection, table), qn(connection, staging)
    done = _copied_up_to(connection, staging, mark)
    if done:
        progress(f"{table}: resuming after id {done} of {mark}")
    copied = batches = 0
    started = time.monotonic()
    while done < mark and (max_batches is None or batches < max_batches):
        upper = min(done + batch, mark)
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SELECT pg_catalog.pg_advisory_xact_lock(hashtext(%s))", [key])
            cursor.execute(
                f"INSERT INTO {qs} SELECT * FROM {q} WHERE id > %s AND id <= %s",  # noqa: S608
                [done, upper],
            )
            inserted = cursor.rowcount
            cursor.execute(
                f"SELECT count(*) FROM {q} WHERE id > %s AND id <= %s",  # noqa: S608
                [done, upper],
            )
            (expected,) = cursor.fetchone()
            if inserted != expected:
                raise PartitionError(
                    f"{table}: ids {done + 1}..{upper}: {inserted} rows copied, {expected} "
                    "in the table; nothing of this batch kept."
                )
        copied += inserted
        batches += 1
        done = upper
        rate = copied / max(time.monotonic() - started, 1e-6)
        progress(f"{table}: copied up to id {done} of {mark} ({copied} rows, {rate:.0f} rows/s)")
    return copied


def _swap_once(
    connection: BaseDatabaseWrapper, table: str, log: Log, mark: int, lock_timeout: str
) -> None:
    staging, old, function, _key = _names(table)
    q, qs, qo = qn(connection, table), qn(connection, staging), qn(connection, old)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
        cursor.execute(f"LOCK TABLE {q}, {qs} IN ACCESS EXCLUSIVE MODE")
        # The checks below go through the id indexes, whatever the statistics say.
        cursor.execute("SET LOCAL enable_seqscan = off")
        counts = []
        for name in (q, qs):
            # Three reads through the id index, each touching only the newest rows or one
            # end of it: the lock is held while they run. (One aggregate with FILTER would
            # read the whole table.)
            figures = []
            for query in (
                f"SELECT max(id) FROM {name}",  # noqa: S608
                f"SELECT count(*) FROM {name} WHERE id > %s",  # noqa: S608
                f"SELECT max(id) FROM {name} WHERE id <= %s",  # noqa: S608
            ):
                cursor.execute(query, [mark] if "%s" in query else None)
                figures.append(cursor.fetchone()[0])
            counts.append(tuple(figures))
        if counts[0] != counts[1]:
            raise PartitionError(
                f"{table}: the staging table does not match (highest id, rows after the mark, "
                f"highest id up to the mark: {counts[0]} in the table, {counts[1]} staged); "
                "nothing swapped. Run the conversion again to finish the copy."
            )
        cursor.execute(f"DROP TRIGGER {qn(connection, function)} ON {q}")
        cursor.execute(f"DROP FUNCTION {qn(connection, function)}()")
        for name, referencing, column in _incoming(connection, table):
            if (referencing, column) not in log.incoming_dropped:
                raise PartitionError(
                    f"{table}: the foreign key {name} of {referencing} points into it; "
                    "nothing swapped."
                )
            cursor.execute(
                f"ALTER TABLE {qn(connection, referencing)} DROP CONSTRAINT {qn(connection, name)}"
            )
        old_indexes = [row[0] for row in _indexes(connection, table)]
        new_indexes = [row[0] for row in _indexes(connection, staging)]
        cursor.execute("SELECT pg_catalog.pg_get_serial_sequence(%s, 'id')", [table])
        (old_sequence,) = cursor.fetchone()
        cursor.execute("SELECT pg_catalog.pg_get_serial_sequence(%s, 'id')", [staging])
        (new_sequence,) = cursor.fetchone()
        cursor.execute(f"SELECT last_value FROM {old_sequence}")  # noqa: S608
        (last_value,) = cursor.fetchone()

        cursor.execute(f"ALTER TABLE {q} RENAME TO {qo}")
        for name in old_indexes:
            cursor.execute(
                f"ALTER INDEX {qn(connection, name)} RENAME TO "
                f"{qn(connection, _renamed(name, '__old'))}"
            )
        cursor.execute(
            f"ALTER SEQUENCE {old_sequence} RENAME TO {qn(connection, _renamed(old, '_id_seq'))}"
        )
        cursor.execute(f"ALTER TABLE {qs} RENAME TO {q}")
        # The staging indexes were made under temporary names (see `prepare`).
        finals = {_renamed(name, "__new"): name for name in old_indexes}
        finals[_renamed(table, "__new_pkey")] = f"{table}_pkey"
        for name in new_indexes:
            final = finals[name]
            cursor.execute(f"ALTER INDEX {qn(connection, name)} RENAME TO {qn(connection, final)}")
        cursor.execute(
            f"ALTER SEQUENCE {new_sequence} RENAME TO {qn(connection, table + '_id_seq')}"
        )
        # Past every id handed out, also those of inserts that rolled back.
        cursor.execute(
            "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
            f"greatest(coalesce(max(id), 1), %s), true) FROM {q}",
            [table, last_value],
        )
        cursor.execute(f"COMMENT ON TABLE {q} IS NULL")


def swap(
    connection: BaseDatabaseWrapper,
    table: str,
    log: Log,
    mark: int,
    *,
    lock_timeout: str = "2s",
    attempts: int = 5,
    progress: Progress = _quiet,
) -> None:
    """Step 4: the staging table takes the plain table's place (see the module's docstring).
    Each attempt waits at most `lock_timeout` for the lock, so writers queue behind it no
    longer than that; after `attempts` it gives up, nothing changed."""
    for attempt in range(1, attempts + 1):
        started = time.monotonic()
        try:
            _swap_once(connection, table, log, mark, lock_timeout)
            progress(f"{table}: swapped in {(time.monotonic() - started) * 1000:.0f} ms")
            return
        except OperationalError as error:
            if "lock timeout" not in str(error):
                raise
            progress(f"{table}: the table is busy (attempt {attempt} of {attempts}); waiting")
            time.sleep(min(2**attempt, 30) / 10)
    raise PartitionError(
        f"{table}: could not lock the table for the swap within {lock_timeout} in {attempts} "
        "attempts (a long transaction holds it?); the copy is complete and kept up to date by "
        "the trigger. Run the command again."
    )


def convert_online(
    connection: BaseDatabaseWrapper,
    table: str,
    *,
    log: Log | None = None,
    batch: int = 50_000,
    months_ahead: int = MONTHS_AHEAD,
    lock_timeout: str = "2s",
    progress: Progress = _quiet,
) -> None:
    """All four steps; resumes where an earlier run stopped."""
    log = check_can_convert(connection, table, log)
    if connection.in_atomic_block:
        raise PartitionError("Partitioning online runs in transactions of its own.")
    try:
        prepare(connection, table, log, months_ahead=months_ahead, lock_timeout=lock_timeout)
        mark = capture(connection, table, lock_timeout=lock_timeout)
    except OperationalError as error:
        if "lock timeout" not in str(error):
            raise
        raise PartitionError(
            f"{table}: a long transaction holds the table or one it points at (no lock within "
            f"{lock_timeout}); nothing changed by this step. Run the command again."
        ) from error
    progress(f"{table}: new rows are copied as they come; copying ids up to {mark}")
    backfill(connection, table, mark, batch=batch, progress=progress)
    # Statistics before the table serves: a fresh table's planner knows nothing of its rows.
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {qn(connection, STAGING.format(table))}")
    progress(f"{table}: staging table analysed")
    swap(connection, table, log, mark, lock_timeout=lock_timeout, progress=progress)
    progress(f"{table}: partitioned; the old rows stay in {OLD.format(table)} until --drop-old")


def drop_old(connection: BaseDatabaseWrapper, table: str, *, log: Log | None = None) -> bool:
    """Drop `<table>__plain_old` once the table is partitioned. False if there is none."""
    if connection.vendor != "postgresql":
        raise PartitionError("Partitioning online needs PostgreSQL.")
    if log is None and table not in LOGS:
        raise PartitionError(f"{table}: not one of the logs partitioned by month.")
    old = OLD.format(table)
    if not is_partitioned(connection, table):
        raise PartitionError(f"{table} is not partitioned yet; {old} is still needed.")
    if not _exists(connection, old):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {qn(connection, old)}")
    return True


def check_small_enough_for_migration(connection: BaseDatabaseWrapper, table: str) -> None:
    """Stop the migration's locked copy of a large table: it would stop every write for the
    whole copy. The size is the planner's estimate (`pg_class.reltuples`), or, for a table
    never analysed, a count that stops just past the threshold."""
    limit = settings.PARTITION_IN_MIGRATION_MAX_ROWS
    if connection.vendor != "postgresql" or is_partitioned(connection, table):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_catalog.pg_class WHERE oid = %s::regclass", [table]
        )
        (rows,) = cursor.fetchone()
        if rows < 0:
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {qn(connection, table)} LIMIT %s) s",  # noqa: S608
                [limit + 1],
            )
            (rows,) = cursor.fetchone()
    if rows > limit:
        raise PartitionError(
            f"{table} holds about {int(rows):,} rows, more than "
            f"PARTITION_IN_MIGRATION_MAX_ROWS ({limit:,}): copying them here would stop every "
            f"write for the whole copy. While the current version keeps serving, run "
            f"`manage.py partition_online {table}` with this version first, then migrate "
            '(docs/operations.md, "Monthly partitions").'
        )
