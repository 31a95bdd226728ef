"""Backups and restores, on the database the suite runs on (SQLite or PostgreSQL), and on
PostgreSQL a restore into a database made for it, by the commands as an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import uuid
from io import BytesIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from postgov.audit.actions import record
from postgov.audit.models import AuditEvent
from postgov.ops import backups
from postgov.ops.backups import BackupError, make_backup, restore_backup, table_counts
from postgov.places.models import ServicePoint

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    scans = tmp_path / "media" / "scans" / "2026"
    scans.mkdir(parents=True)
    (scans / "a.pdf").write_bytes(b"%PDF-1.7 a scan")
    (scans / "b.png").write_bytes(b"\x89PNG a photo")
    return tmp_path / "media"


@pytest.fixture
def filled(world, media):
    for n in range(3):
        record("test.event", object_type="test", object_id=n, details={"n": n})
    return world


@pytest.fixture
def backup(filled, media, tmp_path):
    """A backup of the filled world; whatever a test did, the database ends with its tables
    (the suite's teardown empties them and the next tests need them)."""
    directory, manifest = make_backup(tmp_path / "backups")
    yield directory, manifest
    if "django_migrations" not in connection.introspection.table_names():
        restore_backup(directory, force=True)


def _empty_the_database() -> None:
    if connection.vendor == "postgresql":
        backups._drop_postgresql_relations()
        return
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
        for table in tables:
            cursor.execute(f'DROP TABLE "{table}"')
        cursor.execute("PRAGMA foreign_keys = ON")


def _empty_media(media: Path) -> None:
    for path in sorted(media.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()


def test_a_backup_holds_the_database_the_files_and_a_manifest(backup, media, tmp_path):
    directory, manifest = backup

    assert directory.parent == tmp_path / "backups" and directory.name.startswith("postgov-")
    assert not list((tmp_path / "backups").glob("*.partial"))
    on_disk = json.loads((directory / "manifest.json").read_text())
    assert on_disk == manifest
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"]["audit_auditevent"] == AuditEvent.objects.count() >= 3
    assert manifest["tables"]["places_servicepoint"] == ServicePoint.objects.count() == 2
    assert manifest["media_files"] == 2
    assert set(manifest["parts"]) == {backups.DUMP_PARTS[connection.vendor], "media.tar"}
    for name, about in manifest["parts"].items():
        assert about["sha256"] == backups._sha256(directory / name)
    with tarfile.open(directory / "media.tar") as tar:
        assert sorted(tar.getnames()) == ["scans/2026/a.pdf", "scans/2026/b.png"]


def test_a_restore_into_an_empty_database_gives_back_every_row_and_file(backup, media):
    directory, manifest = backup
    before = table_counts()
    _empty_the_database()
    _empty_media(media)
    assert backups._relations() == []

    report = restore_backup(directory)

    assert report.problems == []
    assert table_counts() == before == manifest["tables"]
    assert report.audit_events == AuditEvent.objects.count() >= 3
    assert report.media_files == 2
    assert (media / "scans" / "2026" / "a.pdf").read_bytes() == b"%PDF-1.7 a scan"


def test_a_database_that_holds_something_is_refused_without_force(backup, media):
    directory, _manifest = backup

    with pytest.raises(BackupError, match="not empty.*--force"):
        restore_backup(directory)

    _empty_the_database()
    with pytest.raises(BackupError, match="MEDIA_ROOT.*already holds files"):
        restore_backup(directory)


def test_force_replaces_what_the_database_and_media_root_hold(backup, media):
    directory, manifest = backup
    record("test.after_the_backup")
    (media / "later.pdf").write_bytes(b"after")

    report = restore_backup(directory, force=True)

    assert report.problems == []
    assert table_counts() == manifest["tables"]
    assert not AuditEvent.objects.filter(action="test.after_the_backup").exists()
    assert not (media / "later.pdf").exists()


def test_a_damaged_part_is_refused_before_anything_is_touched(backup, media):
    directory, _manifest = backup
    tar = directory / "media.tar"
    data = bytearray(tar.read_bytes())
    data[600] ^= 0xFF
    tar.write_bytes(bytes(data))
    events = AuditEvent.objects.count()

    with pytest.raises(BackupError, match=r"media\.tar differs from its manifest"):
        restore_backup(directory, force=True)
    assert AuditEvent.objects.count() == events


def test_counts_that_differ_from_the_manifest_fail_the_restore(backup, media):
    directory, manifest = backup
    manifest["tables"]["places_servicepoint"] += 1
    (directory / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="check"):
        call_command("restore", str(directory), "--force")
    report = restore_backup(directory, force=True)
    assert report.problems == [
        "table places_servicepoint: 2 rows after the restore, 3 rows in the manifest"
    ]


def test_a_restore_refuses_a_directory_that_is_not_a_backup(db, tmp_path):
    with pytest.raises(CommandError, match="has no manifest.json"):
        call_command("restore", str(tmp_path))


def test_a_doctored_archive_cannot_write_outside_media_root(backup, media):
    directory, manifest = backup
    tar_path = directory / "media.tar"
    with tarfile.open(tar_path, "w") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 3
        tar.addfile(info, BytesIO(b"bad"))
    manifest["parts"]["media.tar"] = backups._describe(tar_path)
    (directory / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(tarfile.OutsideDestinationError):
        restore_backup(directory, force=True)
    assert not (media.parent / "escaped.txt").exists()


def test_the_commands_back_up_and_restore_and_record_both(filled, media, tmp_path, capsys):
    call_command("backup", "--output", str(tmp_path / "backups"))
    out = capsys.readouterr().out
    assert "Backup written to" in out and "2 uploaded files" in out
    [directory] = (tmp_path / "backups").iterdir()
    made = AuditEvent.objects.get(action="ops.backup_made")
    assert made.object_id == directory.name

    call_command("restore", str(directory), "--force")
    out = capsys.readouterr().out
    assert "as in the manifest" in out and "audit chain intact" in out
    restored = AuditEvent.objects.get(action="ops.restored")
    assert restored.object_id == directory.name
    # The backup was taken before its own event was recorded.
    assert not AuditEvent.objects.filter(action="ops.backup_made").exists()


# -- PostgreSQL: into a database made for the restore, by the commands ---------------------------


def _psql_url(name: str) -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


@pytest.mark.postgres
def test_restore_drill_into_a_fresh_postgresql_database(backup, media, tmp_path):
    directory, manifest = backup
    fresh = f"postgov_restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{fresh}"')
    env = {
        **os.environ,
        "POSTGOV_ENV": "development",
        "DATABASE_URL": _psql_url(fresh),
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
        "POSTGOV_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def manage(*args):
        return subprocess.run(  # noqa: S603 — our own interpreter and code
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    try:
        restored = manage("restore", str(directory))
        assert restored.returncode == 0, restored.stderr
        assert f"{sum(manifest['tables'].values())} rows, as in the manifest" in restored.stdout
        again = manage("restore", str(directory))
        assert again.returncode != 0 and "not empty" in again.stderr
        verified = manage("audit_verify")
        assert verified.returncode == 0, verified.stderr
        assert (tmp_path / "restored-media" / "scans" / "2026" / "b.png").exists()
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
