"""Settled records made findable: each settled record's keyed values are kept folded for
search (`index_record`, in the transaction that settles it), and a social-insurance file
becomes one searchable PDF, its pages' OCR PDFs merged, indexed by its social-insurance
code, name, birth date, box and retention period (the archive job, `run_archive`)."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from postgov.audit.actions import record as audit
from postgov.identity.models import User
from postgov.lib.locking import lock_one
from postgov.lib.text import fold
from postgov.registers import jobs, ocr, ocr_jobs, schemas
from postgov.registers.fields import shown
from postgov.registers.models import Job, PageText, Project, Record, RecordIndex

# The social-insurance schema's keys the archive is indexed by.
CODE, NAME, BIRTH, BOX, RETENTION = "si_code", "full_name", "birth_date", "box", "retention"


def index_record(row: Record) -> RecordIndex:
    """Keep the settled record's values folded for search (called inside the transaction
    that settles it, so a settled record is always findable)."""
    values = row.values or {}
    fields = schemas.fields_of(row.schema_id)
    words = [shown(field, str(values.get(field["key"], ""))) for field in fields]
    social = row.project.kind == Project.Kind.SOCIAL_INSURANCE
    index, _made = RecordIndex.objects.update_or_create(
        record=row,
        defaults={
            "project_id": row.project_id,
            "values_folded": fold(" ".join(w for w in words if w)),
            "si_code": str(values.get(CODE, ""))[:20] if social else "",
            "name_folded": fold(str(values.get(NAME, "")))[:200] if social else "",
            "birth_date": str(values.get(BIRTH, ""))[:10] if social else "",
            "box": fold(str(values.get(BOX, "")))[:50] if social else "",
            "retention": str(values.get(RETENTION, ""))[:20] if social else "",
            "indexed_at": timezone.now(),
        },
    )
    return index


def start_archive(project: Project, *, by: User, request: HttpRequest | None = None) -> Job:
    if project.kind != Project.Kind.SOCIAL_INSURANCE:
        raise ValueError("only social-insurance projects keep an archive")
    return jobs.start(Job.Kind.ARCHIVE, project, by=by, request=request)


def _merged(texts: list[PageText]) -> bytes:
    writer = PdfWriter()
    for text in texts:
        with text.pdf.open("rb") as handle:
            for page in PdfReader(io.BytesIO(handle.read())).pages:
                writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_file(row: Record) -> RecordIndex:
    """The record's archive file: its pages read where they were not yet, their PDFs
    merged in order and stored, then the index row pointed at it (the old file removed)."""
    with transaction.atomic():
        index = index_record(lock_one_settled(row))
    texts = []
    for page in row.pages.all():
        found = PageText.objects.filter(page=page).exclude(pdf="").first()
        texts.append(found or ocr_jobs.read_and_keep(page))
    try:
        merged = _merged(texts)
    except (PyPdfError, OSError) as exc:
        raise ocr.OcrError(
            _("The pages of record %(n)s could not be put together into one PDF."), n=row.pk
        ) from exc
    path = default_storage.save(f"registers/archive/{row.pk}.pdf", ContentFile(merged))
    old = index.pdf.name if index.pdf else ""
    try:
        with transaction.atomic():
            RecordIndex.objects.filter(pk=index.pk).update(pdf=path, pdf_made_at=timezone.now())
    except BaseException:
        default_storage.delete(path)
        raise
    if old and old != path:
        default_storage.delete(old)
    index.refresh_from_db()
    return index


def lock_one_settled(row: Record) -> Record:
    found = lock_one(Record, row.pk)
    if found.status != Record.Status.SETTLED:
        raise ocr.OcrError(_("Record %(n)s is not settled yet."), n=row.pk)
    return found


def run_archive(job: Job, progress: jobs.Progress) -> dict:
    """The archive job: every settled file of the project without its PDF gets one. A
    file done is kept at once, so a job started again goes on where the last stopped."""
    problem = ocr.problem()
    if problem is not None:
        raise problem
    waiting = list(
        Record.objects.filter(project=job.project, status=Record.Status.SETTLED)
        .exclude(index__pdf__gt="")
        .order_by("pk")
    )
    progress.set_total(len(waiting))
    made = failed = 0
    for row in waiting:
        try:
            make_file(row)
        except ocr.OcrError:
            failed += 1
        else:
            made += 1
        progress.advance()
    return {"files": made, "failed": failed}


def downloaded(row: Record, *, by: User, request: HttpRequest | None = None) -> None:
    """Every download of an archive file is on the record (personal data)."""
    with transaction.atomic():
        audit("registers.archive_downloaded", request=request, actor=by, obj=row)
