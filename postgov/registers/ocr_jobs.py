"""Text recognition as background work: the OCR job reads every page of a batch that has
not been read yet and keeps its text, its folded copy for search and its searchable PDF;
the project's text settings (read each upload, show the text to operators)."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from postgov.audit.actions import record as audit
from postgov.identity.models import User
from postgov.lib.locking import lock_one
from postgov.lib.text import fold
from postgov.registers import jobs, ocr
from postgov.registers.models import Batch, Job, Page, PageText, Project


def start_reading(
    project: Project, batch: Batch, *, by: User, request: HttpRequest | None = None
) -> Job:
    """Queue the OCR job for the pages of `batch` that have no text yet."""
    if batch.project_id != project.pk:
        raise ValueError("batch of another project")
    return jobs.start(Job.Kind.OCR, project, by=by, params={"batch": batch.pk}, request=request)


def set_text_settings(
    project: Project,
    *,
    read_text: bool,
    ocr_prefill: bool,
    by: User,
    request: HttpRequest | None = None,
) -> None:
    with transaction.atomic():
        row = lock_one(Project, project.pk)
        before = {"read_text": row.read_text, "ocr_prefill": row.ocr_prefill}
        row.read_text, row.ocr_prefill = read_text, ocr_prefill
        row.save(update_fields=["read_text", "ocr_prefill"])
        audit(
            "registers.text_settings_changed",
            request=request,
            actor=by,
            obj=row,
            details={
                "before": before,
                "after": {"read_text": read_text, "ocr_prefill": ocr_prefill},
            },
        )
    project.read_text, project.ocr_prefill = read_text, ocr_prefill


def read_and_keep(page: Page) -> PageText:
    """Read one page and keep what was read; OcrError when it cannot be read. The PDF is
    stored before the row is written, and removed if the row cannot be."""
    with page.image.open("rb") as handle:
        image = handle.read()
    reading = ocr.read_page(image)
    path = default_storage.save(
        f"registers/ocr/{page.record_id}-{page.number}.pdf", ContentFile(reading.pdf)
    )
    try:
        with transaction.atomic():
            old = PageText.objects.filter(page=page).first()
            text, _made = PageText.objects.update_or_create(
                page=page,
                defaults={
                    "text": reading.text,
                    "folded": fold(reading.text),
                    "pdf": path,
                    "prepared": reading.prepared,
                    "made_at": timezone.now(),
                },
            )
    except BaseException:
        default_storage.delete(path)
        raise
    if old is not None and old.pdf.name and old.pdf.name != path:
        default_storage.delete(old.pdf.name)
    return text


def run_reading(job: Job, progress: jobs.Progress) -> dict:
    """The OCR job: each page of the batch without text is read and kept at once, so a job
    started again goes on where the last one stopped. A page that cannot be read is
    counted and skipped; a server that cannot read at all fails the job with the reason."""
    problem = ocr.problem()
    if problem is not None:
        raise problem
    batch = Batch.objects.filter(pk=job.params.get("batch"), project=job.project).first()
    if batch is None:
        raise jobs.JobFailed(_("This batch no longer exists."))
    pages = list(
        Page.objects.filter(record__batch=batch, ocr__isnull=True).order_by("record", "number")
    )
    progress.set_total(len(pages))
    read = unreadable = 0
    for page in pages:
        try:
            read_and_keep(page)
        except ocr.OcrError:
            unreadable += 1
        else:
            read += 1
        progress.advance()
    return {"batch": batch.pk, "read": read, "unreadable": unreadable}
