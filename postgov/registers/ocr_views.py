"""Pages of text recognition and the archive: searching a project's records by what was
read and keyed (managers and verifiers: operators key blind), a record found that way (its
opening audited), an archive file's download (any member, audited), and the manager's
buttons (text settings, read a batch, make the archive files)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from postgov.audit.actions import record as audit
from postgov.identity.access import role_required
from postgov.registers import archive, ocr, ocr_jobs, search
from postgov.registers.fields import shown
from postgov.registers.models import (
    Batch,
    Membership,
    PageText,
    Project,
    Record,
    RecordIndex,
    localised,
)

Role = Membership.Role
SEARCHERS = (Role.MANAGER, Role.VERIFIER)


def _roles(request, project: Project) -> set[str]:
    return set(
        Membership.objects.filter(project=project, user=request.user).values_list("role", flat=True)
    )


def _project(request, pk: int, *roles: str) -> tuple[Project, set[str]]:
    """The project if the user holds one of `roles` in it, else 404 (as `views` does: a
    project's existence is not shown to people outside it)."""
    project = Project.objects.filter(pk=pk).select_related("province").first()
    if project is None:
        raise Http404
    held = _roles(request, project)
    if not held & set(roles):
        raise Http404
    return project, held


@require_GET
@role_required()
def search_page(request, pk: int):
    project, held = _project(request, pk, *SEARCHERS)
    query = search.Query(
        text=request.GET.get("q", "")[:200],
        code=request.GET.get("code", "")[:20],
        name=request.GET.get("name", "")[:100],
        birth_date=request.GET.get("birth", "")[:20],
        box=request.GET.get("box", "")[:50],
    )
    found: list[search.Found] = []
    error = ""
    if not query.empty:
        try:
            found = search.results(project, query)
        except ValueError:
            error = _("Enter the date of birth as yyyy, mm/yyyy or dd/mm/yyyy.")
    return render(
        request,
        "registers/ocr_search.html",
        {
            "project": project,
            "query": query,
            "found": found,
            "error": error,
            "limit": search.LIMIT,
            "social": project.kind == Project.Kind.SOCIAL_INSURANCE,
            "is_manager": Role.MANAGER in held,
        },
    )


def _searchable_record(request, pk: int) -> tuple[Record, set[str]]:
    row = Record.objects.filter(pk=pk).select_related("project", "schema", "batch").first()
    if row is None:
        raise Http404
    held = _roles(request, row.project)
    if not held & set(SEARCHERS):
        raise Http404
    return row, held


@require_GET
@role_required()
def record_page(request, pk: int):
    row, _held = _searchable_record(request, pk)
    with transaction.atomic():
        audit("registers.record_viewed", request=request, obj=row, details={"as": "search"})
    texts = {
        t.page_id: t.text for t in PageText.objects.filter(page__record=row).only("page", "text")
    }
    pages = list(row.pages.all())
    values = (
        [
            (localised(f["label"]), shown(f, str(row.values.get(f["key"], ""))))
            for f in row.schema.fields
        ]
        if row.status == Record.Status.SETTLED
        else []
    )
    return render(
        request,
        "registers/ocr_record.html",
        {
            "record": row,
            "project": row.project,
            "pages": pages,
            "texts": [(p.number, texts.get(p.pk)) for p in pages],
            "values": values,
            "index": RecordIndex.objects.filter(record=row).first(),
        },
    )


@require_GET
@role_required()
def archive_pdf(request, pk: int):
    row = Record.objects.filter(pk=pk).select_related("project").first()
    if row is None or not _roles(request, row.project):
        raise Http404
    index = RecordIndex.objects.filter(record=row).exclude(pdf="").first()
    if index is None:
        raise Http404
    try:
        handle = index.pdf.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    archive.downloaded(row, by=request.user, request=request)
    name = f"{index.si_code or row.pk}.pdf"
    response = FileResponse(handle, content_type="application/pdf", filename=name)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@role_required()
def text_settings(request, pk: int):
    project, _held = _project(request, pk, Role.MANAGER)
    ocr_jobs.set_text_settings(
        project,
        read_text=request.POST.get("read_text") == "on",
        ocr_prefill=request.POST.get("ocr_prefill") == "on",
        by=request.user,
        request=request,
    )
    messages.success(request, _("Text recognition settings saved."))
    return redirect("registers:project", project.pk)


@require_POST
@role_required()
def read_batch(request, pk: int, batch_pk: int):
    project, _held = _project(request, pk, Role.MANAGER)
    batch = Batch.objects.filter(pk=batch_pk, project=project).first()
    if batch is None:
        raise Http404
    problem = ocr.problem()
    if problem is not None:
        messages.error(request, str(problem))
        return redirect("registers:project", project.pk)
    job = ocr_jobs.start_reading(project, batch, by=request.user, request=request)
    return redirect("registers:job", job.pk)


@require_POST
@role_required()
def make_archive(request, pk: int):
    project, _held = _project(request, pk, Role.MANAGER)
    if project.kind != Project.Kind.SOCIAL_INSURANCE:
        raise Http404
    job = archive.start_archive(project, by=request.user, request=request)
    return redirect("registers:job", job.pk)
