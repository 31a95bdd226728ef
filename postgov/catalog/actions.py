"""Every change to the catalog: publishing versions and importing files.

A published version is never edited: a change is a new version, so a dossier that points
at the version it was received under keeps exactly the rules it was received with.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from postgov.audit.actions import record
from postgov.catalog.exchange import detect_format, linked_problem_texts, read_catalog
from postgov.catalog.import_plan import ImportPlan, plan_import
from postgov.catalog.linked import LinkedSpec, spec_of
from postgov.catalog.models import (
    CatalogImport,
    Fee,
    LinkedMember,
    LinkedProcedure,
    Procedure,
    ProcedureVersion,
    RequiredDocument,
)
from postgov.catalog.specs import Problem, ProcedureSpec, VersionContent, Where
from postgov.lib.locking import lock_one, lock_rows


class VersionOrderError(ValueError):
    """A version that would start before the latest one (history is not rewritten)."""

    def __init__(self, latest: ProcedureVersion, effective_from: date):
        self.vi = (
            f"ngày hiệu lực {effective_from:%d/%m/%Y} sớm hơn phiên bản mới nhất "
            f"(v{latest.version}, từ {latest.effective_from:%d/%m/%Y})"
        )
        self.en = (
            f"effective date {effective_from:%Y-%m-%d} is before the latest version "
            f"(v{latest.version}, from {latest.effective_from:%Y-%m-%d})"
        )
        super().__init__(f"{self.vi} / {self.en}")


class CatalogImportRejected(Exception):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = problems
        self.total = total if total is not None else len(problems)
        super().__init__(f"{self.total} problem(s), the first: {problems[0] if problems else ''}")


def _actor(request: HttpRequest | None, actor: Any) -> Any:
    if actor is None and request is not None and request.user.is_authenticated:
        return request.user
    return actor


def _lock(procedure: Procedure) -> Procedure:
    # Version numbers are max + 1: two publishers of the same procedure take turns.
    return lock_one(Procedure, procedure.pk)


def _open_version(
    procedure: Procedure,
    version: ProcedureVersion,
    *,
    request: HttpRequest | None,
    actor: Any,
    source: str,
) -> ProcedureVersion:
    """Number and save `version` (unsaved, fields filled) as the newest version of
    `procedure`, closing the previous one the day before it starts."""
    _lock(procedure)
    latest = procedure.versions.order_by("-effective_from", "-version").first()
    if latest is not None:
        if version.effective_from < latest.effective_from:
            raise VersionOrderError(latest, version.effective_from)
        if latest.effective_to is None or latest.effective_to >= version.effective_from:
            # Superseded the same day it started: it was in force for part of that day.
            latest.effective_to = max(
                latest.effective_from, version.effective_from - timedelta(days=1)
            )
            latest.save(update_fields=["effective_to"])
    top = procedure.versions.order_by("-version").values_list("version", flat=True).first()
    version.procedure = procedure
    version.version = (top or 0) + 1
    version.effective_to = None
    version.save()
    record(
        "catalog.version_published",
        request=request,
        actor=_actor(request, actor),
        obj=version,
        details={
            "code": procedure.code,
            "version": version.version,
            "effective_from": version.effective_from,
            "previous": latest.version if latest else None,
            "previous_effective_to": latest.effective_to if latest else None,
            "source": source,
        },
    )
    return version


@transaction.atomic
def publish_version(
    procedure: Procedure,
    content: VersionContent,
    *,
    effective_from: date,
    request: HttpRequest | None = None,
    actor: Any = None,
    source: str = "",
) -> ProcedureVersion:
    """Publish `content` as the newest version of `procedure`, in force from
    `effective_from` (the previous version then ends the day before)."""
    version = _open_version(
        procedure,
        ProcedureVersion(effective_from=effective_from, **content.version_fields()),
        request=request,
        actor=actor,
        source=source,
    )
    RequiredDocument.objects.bulk_create(
        RequiredDocument(
            version=version,
            position=position,
            name=document.name,
            form=document.form,
            quantity=document.quantity,
            mandatory=document.mandatory,
            note=document.note,
        )
        for position, document in enumerate(content.documents, start=1)
    )
    Fee.objects.bulk_create(
        Fee(
            version=version,
            option=fee.option,
            name=fee.name,
            amount=fee.amount,
            is_default=fee.is_default,
        )
        for fee in content.fees
    )
    return version


@transaction.atomic
def publish_draft_version(
    version: ProcedureVersion, *, request: HttpRequest | None = None, actor: Any = None
) -> ProcedureVersion:
    """Publish a version filled in by a form (the admin); its documents and fees are
    saved afterwards by the form's inlines."""
    return _open_version(version.procedure, version, request=request, actor=actor, source="admin")


@transaction.atomic
def import_catalog(
    specs: list[ProcedureSpec],
    *,
    request: HttpRequest | None = None,
    actor: Any = None,
    is_demo: bool = False,
    source: str = "",
    today: date | None = None,
    linked: list[LinkedSpec] | None = None,
) -> ImportPlan:
    """Apply a catalog read from a file: new procedures, changed names/fields, new
    versions, then the linked procedures. Checked whole first; on any problem
    `CatalogImportRejected` is raised and nothing is written. Returns the plan that was
    carried out."""
    today = today or timezone.localdate()
    actor = _actor(request, actor)
    # Two imports touching the same procedures take turns.
    lock_rows(Procedure.objects.filter(code__in=[spec.code for spec in specs]))
    plan = plan_import(specs, today)
    if plan.problems:
        raise CatalogImportRejected(plan.problems)
    for item in plan.procedures:
        spec, procedure = item.spec, item.procedure
        if procedure is None:
            procedure = Procedure.objects.create(
                code=spec.code,
                name=spec.name,
                field=spec.field,
                agency_level=spec.agency_level,
                is_demo=is_demo,
            )
            record(
                "catalog.procedure_created",
                actor=actor,
                request=request,
                obj=procedure,
                details={"code": spec.code, "source": source},
            )
        elif item.changed_fields:
            before = {name: getattr(procedure, name) for name in item.changed_fields}
            for name in item.changed_fields:
                setattr(procedure, name, getattr(spec, name))
            procedure.save(update_fields=[*item.changed_fields, "name_folded"])
            record(
                "catalog.procedure_changed",
                actor=actor,
                request=request,
                obj=procedure,
                details={"code": spec.code, "before": before, "source": source},
            )
        for version in item.new_versions:
            publish_version(
                procedure,
                version.content,
                effective_from=version.effective_from,
                request=request,
                actor=actor,
                source=source,
            )
    for index, linked_spec in enumerate(linked or []):
        try:
            save_linked_procedure(
                linked_spec, actor=actor, request=request, is_demo=is_demo, source=source
            )
        except LinkedProcedureError as error:
            raise CatalogImportRejected(
                [
                    Problem(Where.path(f"linked_procedures[{index}]"), vi, en)
                    for vi, en in error.texts
                ]
            ) from None
    record(
        "catalog.imported",
        actor=actor,
        request=request,
        object_type="catalog.catalogimport",
        details={"source": source, "is_demo": is_demo, **plan.counts()},
    )
    return plan


class LinkedProcedureError(ValueError):
    """A linked procedure that breaks the rules (catalog.linked); `texts` (vi, en) say how."""

    def __init__(self, texts: list[tuple[str, str]]):
        self.texts = texts
        super().__init__("; ".join(en for _vi, en in texts))


@transaction.atomic
def save_linked_procedure(
    spec: LinkedSpec,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    is_demo: bool = False,
    source: str = "",
) -> LinkedProcedure:
    """Create or replace a linked procedure and its members. Packages already taken in
    keep their own copy of the steps and feeds, so replacing the members is safe. The
    same content again changes nothing. Raises LinkedProcedureError."""
    actor = _actor(request, actor)
    texts = linked_problem_texts(spec.members)
    codes = [m.procedure for m in spec.members]
    procedures = {p.code: p for p in Procedure.objects.filter(code__in=codes)}
    for code in codes:
        if code not in procedures:
            texts.append(
                (f"không có thủ tục mã “{code[:30]}”", f"there is no procedure “{code[:30]}”")
            )
    if texts:
        raise LinkedProcedureError(texts)
    linked = lock_rows(LinkedProcedure.objects.filter(code=spec.code))
    item = linked[0] if linked else None
    if item is not None and spec_of(item).same_as(spec):
        return item
    if item is None:
        item = LinkedProcedure.objects.create(
            code=spec.code, name=spec.name, description=spec.description, is_demo=is_demo
        )
    else:
        item.name, item.description = spec.name, spec.description
        item.save(update_fields=["name", "description"])
        item.members.all().delete()
    members = {
        m.procedure: LinkedMember.objects.create(
            linked=item, procedure=procedures[m.procedure], step=m.step
        )
        for m in spec.members
    }
    for m in spec.members:
        members[m.procedure].feeds.set([members[code] for code in m.feeds])
    record(
        "catalog.linked_saved",
        actor=actor,
        request=request,
        obj=item,
        details={
            "code": spec.code,
            "members": [[m.procedure, m.step, list(m.feeds)] for m in spec.members],
            "source": source,
        },
    )
    return item


def import_catalog_file(
    data: bytes,
    file_format: str,
    *,
    request: HttpRequest | None = None,
    actor: Any = None,
    is_demo: bool = False,
    source: str = "",
) -> ImportPlan:
    """Read and import a file in one go (management command, demo)."""
    result = read_catalog(data, file_format)
    if result.problems:
        raise CatalogImportRejected(result.problems.items, result.problems.total)
    return import_catalog(
        result.specs,
        request=request,
        actor=actor,
        is_demo=is_demo,
        source=source,
        linked=result.linked,
    )


# -- the import page: check an upload, then apply it ---------------------------------------


@dataclass
class UploadCheck:
    upload: CatalogImport
    plan: ImportPlan | None


def _check(data: bytes, file_format: str | None) -> tuple[ImportPlan | None, dict[str, Any]]:
    """Read and plan, without writing anything. Returns the plan (None when the file has
    problems) and the report to store."""
    if file_format is None:
        problem = Problem(
            Where.file(),
            "không nhận ra định dạng tệp (dùng .json hoặc .csv)",
            "unknown file format (use .json or .csv)",
        )
        return None, {"problems": [problem.texts()], "problem_total": 1}
    result = read_catalog(data, file_format)
    if result.problems:
        return None, {
            "problems": [p.texts() for p in result.problems.items],
            "problem_total": result.problems.total,
        }
    plan = plan_import(result.specs, timezone.localdate())
    return (None if plan.problems else plan), plan.report()


@transaction.atomic
def check_catalog_upload(file_name: str, data: bytes, *, request: HttpRequest) -> CatalogImport:
    """Keep an uploaded file with the report of what importing it would do."""
    file_name = file_name.replace("\x00", "")[:255]
    file_format = detect_format(file_name, data)
    plan, report = _check(data, file_format)
    upload = CatalogImport.objects.create(
        file_name=file_name,
        file_format=file_format or "",
        content=data,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=request.user if request.user.is_authenticated else None,
        status=CatalogImport.Status.CHECKED if plan else CatalogImport.Status.REJECTED,
        report=report,
    )
    record(
        "catalog.import_checked",
        request=request,
        obj=upload,
        details={
            "file_name": upload.file_name,
            "sha256": upload.sha256,
            "status": upload.status,
            "problem_total": report.get("problem_total", 0),
            "counts": report.get("counts", {}),
        },
    )
    return upload


def apply_catalog_upload(upload: CatalogImport, *, request: HttpRequest) -> ImportPlan:
    """Import a checked upload. The file is checked again against the catalog as it is
    now (it may have changed since the check); on any problem nothing is imported, the
    upload is marked rejected with the new report, and `CatalogImportRejected` is
    raised."""
    data = bytes(upload.content)
    try:
        with transaction.atomic():
            locked = lock_one(CatalogImport, upload.pk)
            if locked.status != CatalogImport.Status.CHECKED:
                raise CatalogImportRejected(
                    [
                        Problem(
                            Where.file(),
                            "tệp này không ở trạng thái chờ áp dụng",
                            "this file is not waiting to be applied",
                        )
                    ]
                )
            result = read_catalog(data, locked.file_format)
            if result.problems:
                raise CatalogImportRejected(result.problems.items, result.problems.total)
            plan = import_catalog(
                result.specs,
                request=request,
                source=f"upload #{locked.pk} {locked.file_name}",
                linked=result.linked,
            )
            locked.status = CatalogImport.Status.APPLIED
            locked.report = plan.report()
            # Uploads are applied from a staff page: the user is signed in.
            locked.applied_by = request.user  # type: ignore[assignment]
            locked.applied_at = timezone.now()
            locked.save(update_fields=["status", "report", "applied_by", "applied_at"])
            record(
                "catalog.import_applied",
                request=request,
                obj=locked,
                details={"sha256": locked.sha256, **plan.counts()},
            )
    except CatalogImportRejected as rejected:
        with transaction.atomic():
            locked = lock_one(CatalogImport, upload.pk)
            if locked.status == CatalogImport.Status.CHECKED:
                locked.status = CatalogImport.Status.REJECTED
                locked.report = {
                    **locked.report,
                    "problems": [p.texts() for p in rejected.problems],
                    "problem_total": rejected.total,
                }
                locked.save(update_fields=["status", "report"])
                record(
                    "catalog.import_rejected",
                    request=request,
                    obj=locked,
                    details={"problem_total": rejected.total},
                )
        raise
    upload.refresh_from_db()
    return plan
