"""Exports: the settled records in CSV, XLSX and JSON Lines with a manifest naming every
record version and each file's SHA-256, for the project manager only, audited; the hand-over
record prints the same hashes and the verify command catches a changed file."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from postgov.audit.models import AuditEvent
from postgov.registers import exports
from postgov.registers.models import Job, Record
from postgov.registers.tests.test_imports import csv_file, import_file
from postgov.registers.tests.test_sources import run_jobs


@pytest.fixture
def settled(client, project, world, batch):
    """Three records imported as typed (settled) beside the batch's scans still being keyed."""
    client.force_login(world.provincial_admin)
    job = import_file(client, project, csv_file())
    assert job.state == Job.State.DONE, job.failure
    return list(Record.objects.filter(status=Record.Status.SETTLED).order_by("pk"))


def export(client, project) -> Job:
    response = client.post(reverse("registers:export_start", args=[project.pk]))
    assert response.status_code == 302
    run_jobs()
    job = Job.objects.filter(kind=Job.Kind.EXPORT).latest("pk")
    assert job.state == Job.State.DONE, job.failure
    return job


def download(client, job) -> bytes:
    response = client.get(reverse("registers:export_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return b"".join(response.streaming_content)


def test_the_zip_holds_three_files_and_a_manifest_that_checks_out(client, project, world, settled):
    job = export(client, project)
    bundle = zipfile.ZipFile(io.BytesIO(download(client, job)))
    assert sorted(bundle.namelist()) == sorted([*exports.FILES, "manifest.json"])
    manifest = json.loads(bundle.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(bundle.read(entry["name"])).hexdigest() == entry["sha256"]
        assert entry["records"] == 3
    # Exactly the settled records, each with its schema version and settling time.
    assert manifest["records"]["list"] == [
        [r.pk, r.schema.number, r.settled_at.isoformat()] for r in settled
    ]
    assert manifest["records"]["count"] == 3
    assert manifest["schema"]["version"] == 1 and manifest["schema"]["record_versions"] == [1]
    assert manifest["made_by"]["username"] == world.provincial_admin.username

    keys = [f["key"] for f in project.current_schema().fields]
    rows = list(csv.reader(io.StringIO(bundle.read("records.csv").decode("utf-8-sig"))))
    assert rows[0] == [*exports.COLUMNS, *keys]
    assert [int(r[0]) for r in rows[1:]] == [r.pk for r in settled]
    assert rows[1][rows[0].index("id_number")] == "045085000123"
    lines = bundle.read("records.jsonl").decode().splitlines()
    assert json.loads(lines[0])["full_name"] == "Nguyễn Văn An"
    sheet = load_workbook(io.BytesIO(bundle.read("records.xlsx")), read_only=True).active
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert len(cells) == 4 and cells[1][cells[0].index("id_number")] == "045085000123"

    assert AuditEvent.objects.filter(action="registers.export_made").count() == 1
    assert AuditEvent.objects.filter(action="registers.export_downloaded").count() == 1


def test_only_the_project_manager_exports_and_downloads(client, project, world, settled):
    job = export(client, project)
    for user in (world.clerk_a, world.supervisor_a, world.auditor):  # operator, verifier, none
        client.force_login(user)
        assert client.post(reverse("registers:export_start", args=[project.pk])).status_code == 404
        assert client.get(reverse("registers:export_download", args=[job.pk])).status_code == 404
        assert client.get(reverse("registers:export_handover", args=[job.pk])).status_code == 404
        assert client.get(reverse("registers:job", args=[job.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        exports.start_export(project, by=world.clerk_a)
    assert Job.objects.filter(kind=Job.Kind.EXPORT).count() == 1
    assert not AuditEvent.objects.filter(action="registers.export_downloaded").exists()


def test_the_hand_over_record_lists_the_files_and_their_hashes(client, project, world, settled):
    job = export(client, project)
    response = client.get(reverse("registers:export_handover", args=[job.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    flat = "".join(text.split())
    assert "BIÊN BẢN GIAO NHẬN DỮ LIỆU" in text
    assert "ĐẠI DIỆN BÊN GIAO" in text and "ĐẠI DIỆN BÊN NHẬN" in text
    for entry in job.result["files"]:
        assert entry["name"] in text and entry["sha256"] in flat
    assert AuditEvent.objects.filter(action="registers.export_handover_printed").count() == 1


def test_the_verify_command_catches_a_changed_file(client, project, world, settled, tmp_path):
    job = export(client, project)
    good = tmp_path / "good.zip"
    good.write_bytes(download(client, job))
    out = io.StringIO()
    call_command("registers_verify_export", str(good), stdout=out)
    assert "checks out" in out.getvalue()

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(tampered, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "records.csv":
                data = data.replace("Nguyễn Văn An".encode(), "Nguyễn Văn Ân".encode())
            target.writestr(name, data)
    # Commands speak the site's language (Vietnamese).
    with pytest.raises(CommandError, match=r"records\.csv không khớp mã SHA-256"):
        call_command("registers_verify_export", str(tampered))

    trimmed = tmp_path / "trimmed.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(trimmed, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "manifest.json":
                manifest = json.loads(data)
                manifest["records"]["list"].pop()
                data = json.dumps(manifest).encode()
            target.writestr(name, data)
    with pytest.raises(CommandError, match="Danh sách bản ghi trong manifest không khớp"):
        call_command("registers_verify_export", str(trimmed))


def test_a_project_without_settled_records_exports_empty_files(client, project, world, batch):
    client.force_login(world.provincial_admin)
    job = export(client, project)
    bundle = zipfile.ZipFile(io.BytesIO(download(client, job)))
    assert json.loads(bundle.read("manifest.json"))["records"]["list"] == []
    assert not exports.verify(io.BytesIO(download(client, job)))
