"""Backups of the database and the uploaded files, and their restore with checks.

A backup is one directory, `postgov-<UTC time>/`, holding

- `database.dump` (PostgreSQL: `pg_dump -Fc`) or `database.sqlite3` (SQLite: a copy made
  with SQLite's online backup API while the site runs);
- `media.tar`: every file under MEDIA_ROOT (scans, exports, attachments);
- `manifest.json`: the engine, the number of rows of every table, the number of files,
  and the SHA-256 and size of each part.

On PostgreSQL the rows are counted inside the very snapshot `pg_dump` writes out (an
exported snapshot shared with it), so the counts are those of the dump even while the
site keeps writing. The directory is written as `<name>.partial` and renamed when
complete: a backup that is there under its name is whole.

A restore checks the parts against the manifest before touching anything, refuses a
database (or MEDIA_ROOT) that already holds something unless told to replace it, then
compares every table's row count with the manifest's and walks the audit chain.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg import sql

from postgov.audit.actions import verify_chain

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_PART = "media.tar"
DUMP_PARTS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class RestoreReport:
    tables: int = 0
    rows: int = 0
    media_files: int = 0
    audit_events: int = 0
    problems: list[str] = field(default_factory=list)


# -- making a backup ---------------------------------------------------------------------------


def make_backup(parent: Path) -> tuple[Path, dict[str, Any]]:
    """Write a complete backup into a new directory under `parent`; return it and its
    manifest."""
    vendor = _vendor()
    parent.mkdir(parents=True, exist_ok=True)
    name = f"postgov-{timezone.now().strftime('%Y%m%dT%H%M%SZ')}"
    final = parent / name
    suffix = 1
    while final.exists() or final.with_name(final.name + ".partial").exists():
        suffix += 1
        final = parent / f"{name}-{suffix}"
    work = final.with_name(final.name + ".partial")
    work.mkdir()
    try:
        dump = work / DUMP_PARTS[vendor]
        counts = _dump_postgresql(dump) if vendor == "postgresql" else _dump_sqlite(dump)
        media_files = _tar_media(work / MEDIA_PART)
        parts = {path.name: _describe(path) for path in (dump, work / MEDIA_PART)}
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "engine": vendor,
            "parts": parts,
            "tables": counts,
            "media_files": media_files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final, manifest


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in DUMP_PARTS:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def _dump_postgresql(path: Path) -> dict[str, int]:
    """pg_dump in custom format, with the rows counted in the snapshot it dumps."""
    with psycopg.connect(**_psycopg_params()) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            row = cursor.fetchone()
            assert row is not None
            snapshot = row[0]
            counts = {}
            for table in _postgresql_tables(cursor):
                cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
                counted = cursor.fetchone()
                counts[table] = counted[0] if counted else 0
            _run(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={path}"]
                + _pg_connection_args()
            )
        conn.rollback()
    return counts


def _postgresql_tables(cursor: Any) -> list[str]:
    # A partitioned table counts once, through its parent: its partitions (the months of
    # the event log and the audit trail) are left out so no row is counted twice.
    cursor.execute(
        "SELECT c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
        "AND NOT c.relispartition ORDER BY c.relname"
    )
    return [row[0] for row in cursor.fetchall()]


def _dump_sqlite(path: Path) -> dict[str, int]:
    """SQLite's online backup API: a consistent copy while other processes write."""
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
        return _sqlite_counts(target)
    finally:
        target.close()


def _sqlite_counts(db: sqlite3.Connection) -> dict[str, int]:
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


def _tar_media(path: Path) -> int:
    media = Path(settings.MEDIA_ROOT)
    files = 0
    with tarfile.open(path, "w") as tar:
        if media.is_dir():
            for item in sorted(media.rglob("*")):
                if item.is_file() and not item.is_symlink():
                    tar.add(item, arcname=str(item.relative_to(media)), recursive=False)
                    files += 1
    return files


def _describe(path: Path) -> dict[str, Any]:
    return {"sha256": _sha256(path), "bytes": path.stat().st_size}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- restoring ---------------------------------------------------------------------------------


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise BackupError(f"{directory} is not a backup: it has no {MANIFEST}.") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} cannot be read: {exc.__class__.__name__}.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format (this version reads format {FORMAT}).")
    return manifest


def check_parts(directory: Path, manifest: dict[str, Any]) -> None:
    """Every part is there, with the size and SHA-256 the manifest gives."""
    for name, expected in manifest["parts"].items():
        path = directory / name
        if Path(name).name != name or not path.is_file():
            raise BackupError(f"The backup's part {name} is missing.")
        if path.stat().st_size != expected["bytes"] or _sha256(path) != expected["sha256"]:
            raise BackupError(
                f"The backup's part {name} differs from its manifest (SHA-256): the backup "
                "is damaged; restore another one."
            )


def restore_backup(directory: Path, *, force: bool = False) -> RestoreReport:
    """Restore the backup in `directory` into this database and MEDIA_ROOT, then check the
    rows of every table against the manifest and walk the audit chain.

    Refuses a database with tables in it, or a MEDIA_ROOT with files, unless `force`:
    then their content is replaced. Problems found after the restore are in the report."""
    manifest = read_manifest(directory)
    vendor = _vendor()
    if manifest["engine"] != vendor:
        raise BackupError(
            f"This backup is of a {manifest['engine']} database; this site uses {vendor}."
        )
    check_parts(directory, manifest)
    relations = _relations()
    if relations and not force:
        raise BackupError(
            f"The database is not empty ({len(relations)} tables and sequences). Restore into "
            "a new, empty database, or pass --force to replace everything in it."
        )
    media = Path(settings.MEDIA_ROOT)
    if not force and media.is_dir() and any(p.is_file() for p in media.rglob("*")):
        raise BackupError(
            f"MEDIA_ROOT ({media}) already holds files. Restore onto an empty directory, or "
            "pass --force to replace them."
        )
    dump = directory / DUMP_PARTS[vendor]
    if vendor == "postgresql":
        if relations:
            _drop_postgresql_relations()
        connection.close()
        _run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
            + ["--single-transaction"]
            + _pg_connection_args()
            + [str(dump)]
        )
    else:
        _restore_sqlite(dump)
    connection.close()
    report = RestoreReport()
    report.media_files = _untar_media(directory / MEDIA_PART, media, replace=force)
    if report.media_files != manifest["media_files"]:
        report.problems.append(
            f"media: {report.media_files} files restored, the manifest says "
            f"{manifest['media_files']}"
        )
    actual = table_counts()
    expected: dict[str, int] = manifest["tables"]
    report.tables, report.rows = len(actual), sum(actual.values())
    for table in sorted(set(expected) | set(actual)):
        if expected.get(table) != actual.get(table):
            report.problems.append(
                f"table {table}: {_rows(actual.get(table))} after the restore, "
                f"{_rows(expected.get(table))} in the manifest"
            )
    report.audit_events, chain_problems = verify_chain()
    report.problems.extend(f"audit chain: {problem}" for problem in chain_problems)
    return report


def _rows(count: int | None) -> str:
    return "missing" if count is None else f"{count} rows"


def table_counts() -> dict[str, int]:
    """Rows of every table of this database, by table name."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return _sqlite_counts(connection.connection)
    with connection.cursor() as cursor:
        counts = {}
        for table in _postgresql_tables(cursor):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
        return counts


def _relations() -> list[str]:
    """Tables, views and sequences of this database (PostgreSQL: of the current schema;
    some sequences, like the S10 serials, belong to no table)."""
    if connection.vendor == "sqlite":
        return connection.introspection.table_names(include_views=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
        )
        return sorted(row[0] for row in cursor.fetchall())


def _drop_postgresql_relations() -> None:
    """Everything the schema holds, for --force: views, tables (with the sequences they own),
    then the sequences left."""
    kinds = (
        ("VIEW", ["v"]),
        ("MATERIALIZED VIEW", ["m"]),
        ("TABLE", ["r", "p"]),
        ("SEQUENCE", ["S"]),
    )
    with connection.cursor() as cursor:
        for statement, relkinds in kinds:
            cursor.execute(
                "SELECT c.relname FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = ANY(%s)",
                [relkinds],
            )
            names = [connection.ops.quote_name(row[0]) for row in cursor.fetchall()]
            if names:
                cursor.execute(f"DROP {statement} IF EXISTS {', '.join(names)} CASCADE")


def _restore_sqlite(dump: Path) -> None:
    """Copy the backup over this database's pages with the backup API (the database may be
    a file other processes have open, or the tests' in-memory one)."""
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _untar_media(path: Path, media: Path, *, replace: bool) -> int:
    if replace and media.is_dir():
        for item in media.iterdir():
            if item.is_dir() and not item.is_symlink():
                shutil.rmtree(item)
            else:
                item.unlink()
    media.mkdir(parents=True, exist_ok=True)
    files = 0
    with tarfile.open(path) as tar:
        for member in tar:
            if member.isfile():
                files += 1
            # The "data" filter refuses absolute paths, "..", links out of the tree and
            # device files: a doctored archive cannot write outside MEDIA_ROOT.
            tar.extract(member, media, filter="data")
    return files


# -- PostgreSQL connection details, from the settings of the connection in use -----------------

# Connection options that libpq reads from the environment as well.
_PG_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def _psycopg_params() -> dict[str, Any]:
    db = connection.settings_dict
    params: dict[str, Any] = {"dbname": db["NAME"]}
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
        if db.get(key):
            params[name] = db[key]
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    params.update({k: v for k, v in (db.get("OPTIONS") or {}).items() if k in _PG_ENV})
    return params


def _pg_connection_args() -> list[str]:
    db = connection.settings_dict
    args = [f"--dbname={db['NAME']}"]
    for key, flag in (("HOST", "--host"), ("PORT", "--port"), ("USER", "--username")):
        if db.get(key):
            args.append(f"{flag}={db[key]}")
    return args


def _pg_env() -> dict[str, str]:
    """The password and TLS options go through the environment, never the command line
    (which every user of the machine can read in the process list)."""
    db = connection.settings_dict
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    for option, variable in _PG_ENV.items():
        value = (db.get("OPTIONS") or {}).get(option)
        if value:
            env[variable] = str(value)
    return env


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not installed: install the PostgreSQL client "
            "(Debian: postgresql-client, the same major version as the server)."
        )
    result = subprocess.run(  # noqa: S603
        command, env=_pg_env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")
