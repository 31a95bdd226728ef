"""Exports of a project's settled records, for its project manager only: CSV, XLSX and JSON
Lines of the same rows, a `manifest.json` that names every record and version they hold and
the SHA-256 of each file, all in one ZIP kept in the media storage; the printed hand-over
record (biên bản giao nhận dữ liệu) lists the files, counts and hashes for both sides to
sign. `verify` re-checks a ZIP against its manifest (`manage.py registers_verify_export`).

Personal data protection: making, downloading and printing an export are audited.
"""

from __future__ import annotations

import csv
import hashlib
import json
import secrets
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from postgov.audit.actions import record as audit
from postgov.identity.models import User
from postgov.lib.pdf import FAMILY, Form
from postgov.registers import dedup_actions, jobs
from postgov.registers.models import Job, Membership, Project

FORMAT = "postgov-register-export/1"
MANIFEST = "manifest.json"
FILES = ("records.csv", "records.xlsx", "records.jsonl")
COLUMNS = ("record_id", "batch", "number", "schema_version", "settled_at")
READ_CHUNK = 2000


def is_manager(project: Project, user: User) -> bool:
    return Membership.objects.filter(
        project=project, user=user, role=Membership.Role.MANAGER
    ).exists()


def start_export(project: Project, *, by: User, request: HttpRequest | None = None) -> Job:
    """Queue an export of the project's settled records; only its project manager may."""
    if not is_manager(project, by):
        raise PermissionDenied
    if project.current_schema() is None:
        raise jobs.JobFailed(gettext_lazy("This project has no schema yet."))
    return jobs.start(Job.Kind.EXPORT, project, by=by, request=request)


def sha256_of(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def listing_digest(listing: list[list[Any]]) -> str:
    """The hash of the manifest's record list, written compactly, so that a list edited in
    the manifest no longer matches it."""
    return hashlib.sha256(json.dumps(listing, separators=(",", ":")).encode()).hexdigest()


def run_export(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    """The export job: the settled records as they are now, three files and a manifest in
    one ZIP. Nothing is kept if it fails."""
    project = job.project
    schema = project.current_schema()
    if schema is None:
        raise jobs.JobFailed(gettext_lazy("This project has no schema yet."))
    keys = [f["key"] for f in schema.fields]
    header = [*COLUMNS, *keys]
    # The clean register: a record merged into another is exported once, as the survivor.
    settled = dedup_actions.clean_records(project).order_by("pk")
    progress.set_total(settled.count())
    listing: list[list[Any]] = []
    versions: set[int] = set()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        book = Workbook(write_only=True)
        sheet = book.create_sheet("records")
        sheet.append(header)
        # Excel opens a CSV as UTF-8 only when it starts with the byte-order mark.
        with (
            open(folder / FILES[0], "w", encoding="utf-8-sig", newline="") as as_csv,
            open(folder / FILES[2], "w", encoding="utf-8") as as_jsonl,
        ):
            writer = csv.writer(as_csv)
            writer.writerow(header)
            rows = settled.values_list(
                "pk", "batch_id", "number", "schema__number", "settled_at", "values"
            )
            for pk, batch, number, version, settled_at, values in rows.iterator(READ_CHUNK):
                at = settled_at.isoformat() if settled_at else ""
                row = [pk, batch, number, version, at, *(str(values.get(k, "")) for k in keys)]
                writer.writerow(row)
                sheet.append(row)
                as_jsonl.write(
                    json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False) + "\n"
                )
                listing.append([pk, version, at])
                versions.add(version)
                progress.advance()
        book.save(folder / FILES[1])
        now = timezone.now()
        files = []
        for name in FILES:
            with open(folder / name, "rb") as handle:
                files.append(
                    {
                        "name": name,
                        "records": len(listing),
                        "bytes": (folder / name).stat().st_size,
                        "sha256": sha256_of(handle),
                    }
                )
        manifest = {
            "format": FORMAT,
            "project": {
                "id": project.pk,
                "name": project.name,
                "kind": project.kind,
                "province": project.province.name,
            },
            "schema": {
                "version": schema.number,
                "fields": [
                    {"key": f["key"], "type": f["type"], "label": f["label"]} for f in schema.fields
                ],
                "record_versions": sorted(versions),
            },
            "columns": header,
            "files": files,
            "records": {
                "count": len(listing),
                "sha256": listing_digest(listing),
                # [record id, schema version, settled at]: the exact versions exported.
                "list": listing,
            },
            "made_at": now.isoformat(),
            "made_by": {
                "username": job.created_by.get_username(),
                "name": job.created_by.get_full_name(),
            },
            "job": job.pk,
        }
        archive = folder / "export.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for name in FILES:
                bundle.write(folder / name, name)
            bundle.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        with open(archive, "rb") as handle:
            zip_sha = sha256_of(handle)
            handle.seek(0)
            stamp = f"{timezone.localtime(now):%Y%m%d-%H%M%S}"
            path = default_storage.save(
                f"registers/exports/{project.pk}-{stamp}-{secrets.token_hex(6)}.zip",
                File(handle, name="export.zip"),
            )
    try:
        with transaction.atomic():
            audit(
                "registers.export_made",
                actor=job.created_by,
                obj=project,
                details={"job": job.pk, "records": len(listing), "sha256": zip_sha},
            )
    except BaseException:
        default_storage.delete(path)
        raise
    return {
        "path": path,
        "name": f"export-{project.pk}-{stamp}.zip",
        "records": len(listing),
        "sha256": zip_sha,
        "files": files,
        "schema": schema.number,
    }


# -- downloading, printing, checking ------------------------------------------------------


def open_export(job: Job, *, by: User, request: HttpRequest | None = None) -> IO[bytes]:
    """The export's ZIP for its project manager, the download audited."""
    _check_export(job, by)
    handle = default_storage.open(job.result["path"], "rb")
    with transaction.atomic():
        audit(
            "registers.export_downloaded",
            request=request,
            actor=by,
            obj=job.project,
            details={"job": job.pk, "records": job.result.get("records")},
        )
    return handle


def _check_export(job: Job, by: User) -> None:
    if job.kind != Job.Kind.EXPORT or job.state != Job.State.DONE:
        raise PermissionDenied
    if not is_manager(job.project, by):
        raise PermissionDenied


def read_manifest(job: Job) -> dict[str, Any]:
    with default_storage.open(job.result["path"], "rb") as handle, zipfile.ZipFile(handle) as z:
        return json.loads(z.read(MANIFEST))


def verify(handle: IO[bytes]) -> list[str]:
    """What does not match in an export's ZIP (its files against the manifest's hashes and
    counts, the record list against its hash); empty when it checks out."""
    try:
        bundle = zipfile.ZipFile(handle)
    except zipfile.BadZipFile:
        return [_("This is not a ZIP file.")]
    with bundle:
        names = set(bundle.namelist())
        if MANIFEST not in names:
            return [_("The ZIP has no manifest.json.")]
        try:
            manifest = json.loads(bundle.read(MANIFEST))
            files = manifest["files"]
            records = manifest["records"]
        except (ValueError, KeyError, TypeError):
            return [_("The manifest cannot be read.")]
        problems = []
        for entry in files:
            name = entry.get("name", "")
            if name not in names:
                problems.append(_("%(name)s is missing from the ZIP.") % {"name": name})
                continue
            with bundle.open(name) as member:
                found = sha256_of(member)
            if found != entry.get("sha256"):
                problems.append(
                    _("%(name)s does not match its SHA-256 in the manifest.") % {"name": name}
                )
        extra = names - {MANIFEST} - {e.get("name") for e in files}
        for name in sorted(extra):
            problems.append(_("%(name)s is not listed in the manifest.") % {"name": name})
        listing = records.get("list", [])
        if listing_digest(listing) != records.get("sha256") or len(listing) != records.get("count"):
            problems.append(_("The manifest's list of records does not match its hash."))
        return problems


def _grouped(number: int) -> str:
    """12345 -> '12.345', as Vietnamese groups thousands."""
    return f"{number:,}".replace(",", ".")


def handover_pdf(job: Job, *, by: User, request: HttpRequest | None = None) -> bytes:
    """The biên bản giao nhận dữ liệu of an export, A4, in Vietnamese whatever the page's
    language: it is a signed paper. Its printing is audited."""
    _check_export(job, by)
    manifest = read_manifest(job)
    with transaction.atomic():
        audit(
            "registers.export_handover_printed",
            request=request,
            actor=by,
            obj=job.project,
            details={"job": job.pk},
        )
    made_at = timezone.localtime(job.finished_at or timezone.now())
    pdf = Form(format="A4", title="Biên bản giao nhận dữ liệu")
    pdf.set_font(FAMILY, "B", 9)
    province = job.project.province.short_name or job.project.province.name
    pdf.cell(95, 5, "BƯU ĐIỆN TỈNH " + province.upper())
    pdf.cell(0, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    pdf.cell(95, 5, f"Số: {job.pk}/BBGN-SHD")
    pdf.cell(0, 5, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0,
        6,
        f"{province}, ngày {made_at:%d} tháng {made_at:%m} năm {made_at:%Y}",
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.heading("BIÊN BẢN GIAO NHẬN DỮ LIỆU", size=14)
    pdf.set_font(FAMILY, "I", 9)
    pdf.multi_cell(0, 5, "Dữ liệu số hóa sổ sách giấy", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    made_by = manifest["made_by"]
    pdf.field("Dự án số hóa:", manifest["project"]["name"], label_width=50)
    pdf.field("Địa bàn:", manifest["project"]["province"], label_width=50)
    pdf.field(
        "Bên giao:",
        f"Bưu điện tỉnh {province} — quản lý dự án {made_by['name'] or made_by['username']}",
        label_width=50,
    )
    pdf.field("Bên nhận:", "......................................................", 50)
    pdf.field("Thời điểm xuất dữ liệu:", f"{made_at:%H:%M %d/%m/%Y}", label_width=50)
    versions = ", ".join(str(v) for v in manifest["schema"]["record_versions"]) or "—"
    pdf.field(
        "Phiên bản biểu mẫu nhập:",
        f"{manifest['schema']['version']} (bản ghi theo phiên bản: {versions})",
        label_width=50,
    )
    pdf.field("Tổng số bản ghi:", _grouped(manifest["records"]["count"]), label_width=50)
    pdf.field("Tệp nén giao nhận:", job.result.get("name", ""), label_width=50)
    pdf.ln(2)
    pdf.multi_cell(
        0,
        5,
        "Bên giao bàn giao cho bên nhận các tệp dữ liệu dưới đây. Mỗi tệp được xác định bằng "
        "mã băm SHA-256; bên nhận kiểm tra lại mã băm khi nhận (tệp manifest.json kèm theo "
        "liệt kê từng bản ghi và phiên bản của nó).",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.set_font(FAMILY, "", 8)
    rows = [
        [str(i), f["name"], _grouped(f["records"]), _grouped(f["bytes"]), f["sha256"]]
        for i, f in enumerate(manifest["files"], start=1)
    ]
    rows.append(
        [str(len(rows) + 1), "Danh sách bản ghi", _grouped(manifest["records"]["count"]), "", ""]
    )
    rows[-1][4] = manifest["records"]["sha256"]
    rows.append([str(len(rows) + 1), "Tệp nén (.zip)", "", "", job.result.get("sha256", "")])
    with pdf.table(
        col_widths=(8, 30, 20, 22, 110),
        text_align=("CENTER", "LEFT", "RIGHT", "RIGHT", "LEFT"),
        line_height=5,
    ) as table:
        heading = table.row()
        for title in ("STT", "Tệp", "Số bản ghi", "Dung lượng (byte)", "Mã băm SHA-256"):
            heading.cell(title)
        for values in rows:
            line = table.row()
            for value in values:
                line.cell(value)
    pdf.set_font(FAMILY, "", 9)
    pdf.ln(3)
    pdf.multi_cell(
        0,
        5,
        "Bên nhận có trách nhiệm bảo vệ dữ liệu cá nhân trong các tệp theo Nghị định "
        "13/2023/NĐ-CP. Biên bản được lập thành 02 bản có giá trị như nhau, mỗi bên giữ 01 "
        "bản.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.signature_boxes("ĐẠI DIỆN BÊN GIAO", "ĐẠI DIỆN BÊN NHẬN", height=28)
    return pdf.render()
