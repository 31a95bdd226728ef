"""The draft of a dossier: opened once per intake token, the applicant updated, its
checklist against the procedure's documents, the scans attached, or cancelled."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from postgov.audit.actions import record
from postgov.catalog.models import ProcedureVersion, RequiredDocument
from postgov.delivery.models import PickupBooking
from postgov.dossiers.actions import perform
from postgov.dossiers.intake.common import (
    Applicant,
    IntakeError,
    can_receive_at,
    competent_for,
    is_competent,
    locked_draft,
)
from postgov.dossiers.intake.pricing import apply_quote, default_fee, quote
from postgov.dossiers.intake.scans import check_scan
from postgov.dossiers.models import (
    Dossier,
    DossierDocument,
    ReturnMethod,
    Scan,
    ServiceOption,
)
from postgov.dossiers.practice import practice_class
from postgov.places.models import ServicePoint


class Draft(NamedTuple):
    dossier: Dossier
    created: bool
    documents: list[DossierDocument] | None  # as written, when created


def start_draft(**kwargs) -> Dossier:
    """Create the draft (see `open_draft`) and return it."""
    return open_draft(**kwargs).dossier


def open_draft(
    *,
    token: uuid.UUID,
    point: ServicePoint,
    version: ProcedureVersion,
    service_option: str,
    applicant: Applicant,
    actor,
    access,
    request=None,
    pickup: PickupBooking | None = None,
    checklist: dict[int, ChecklistLine] | None = None,
    token_checked: bool = False,
) -> Draft:
    """Create the draft with its checklist, proposed agency and priced defaults; returns
    (draft, created, documents). The same `token` twice (a double submit) returns the first draft
    with created False. `checklist` (by document position; `document_id` unused) records
    what was handed in at once; otherwise every document starts as not handed in, one
    page. `token_checked`: the caller has just looked the token up and handles a race
    itself: a request with the same token that got past that look-up raises IntegrityError
    (unique token) here, with no savepoint of its own, and the caller runs again."""
    if not can_receive_at(access, point.pk):
        raise PermissionDenied
    existing = None if token_checked else Dossier.objects.filter(intake_token=token).first()
    if existing is not None:
        return Draft(existing, False, None)
    if not version.postal_allowed:
        raise IntakeError([postal_refusal(version)])
    try:
        with transaction.atomic(savepoint=not token_checked):
            dossier = Dossier(
                intake_token=token,
                province_id=point.commune.province_id,
                service_option=service_option,
                procedure_version=version,
                receiving_point=point,
                received_by=actor,
                pickup=pickup,
                **applicant.as_fields(),
            )
            # A trainee's practice: marked from its first row, so nothing real sees it.
            training = practice_class(request)
            if training is not None:
                if pickup is not None:
                    raise IntakeError([_("A home pickup is real work: leave training first.")])
                dossier.practice = True
                dossier.practice_class_id = training
            competent = competent_for(dossier)
            dossier.agency = competent[0] if competent else None
            dossier.fee_option = default_fee(version)
            _default_return(dossier)
            apply_quote(dossier, quote(dossier))
            dossier.save()
            documents = DossierDocument.objects.bulk_create(
                [
                    _draft_document(dossier, doc, (checklist or {}).get(doc.position))
                    for doc in version.documents.all()
                ]
            )
            details = {
                "procedure": version.procedure.code,
                "version": version.version,
                "service": service_option,
                "pickup": pickup.code if pickup else "",
                "representative": bool(applicant.representative_name),
            }
            if checklist is not None:
                details.update(_checklist_details(dossier, documents))
            if dossier.practice:
                details["practice"] = True
            record(
                "dossier.draft_created",
                request=request,
                actor=actor,
                obj=dossier,
                service_point_id=point.pk,
                details=details,
            )
    except IntegrityError:
        if token_checked:
            raise
        # Two submits of the same form raced: the other one created the draft.
        existing = Dossier.objects.filter(intake_token=token).first()
        if existing is None:
            raise
        return Draft(existing, False, None)
    return Draft(dossier, True, documents)


def _draft_document(dossier: Dossier, rule: RequiredDocument, line) -> DossierDocument:
    document = DossierDocument(
        dossier=dossier,
        required=rule,
        position=rule.position,
        name=rule.name,
        form=DossierDocument.Form.ORIGINAL
        if rule.form == RequiredDocument.Form.ORIGINAL
        else DossierDocument.Form.COPY,
        pages=1,
    )
    if line is not None:
        document.present, document.form, document.pages = line.present, line.form, line.pages
        document.note = line.note[:200]
    return document


def _checklist_details(dossier: Dossier, documents: list[DossierDocument]) -> dict:
    return {
        "present": sum(d.present for d in documents),
        "documents": len(documents),
        "missing": [d.position for d in missing_documents(dossier, documents)],
    }


# The return the applicant's address proposes, written with the applicant.
RETURN_DEFAULTS = ["return_method", "return_address", "return_commune", "return_point"]


def _default_return(dossier: Dossier) -> None:
    if dossier.service_option == ServiceOption.SEND:
        dossier.return_method = ReturnMethod.AT_AGENCY
    elif dossier.return_method == ReturnMethod.AT_AGENCY:
        dossier.return_method = ReturnMethod.DELIVER
    if not dossier.return_address:
        dossier.return_address = dossier.applicant_address
    if dossier.return_commune_id is None:
        dossier.return_commune = dossier.applicant_commune
    if dossier.return_point_id is None:
        dossier.return_point = dossier.receiving_point


def postal_refusal(version: ProcedureVersion) -> str:
    reason = version.postal_exclusion_reason or _("the applicant must be present in person")
    return _("“%(procedure)s” may not be sent by post: %(reason)s.") % {
        "procedure": version.procedure.name,
        "reason": reason,
    }


def update_applicant(
    dossier_id: int, applicant: Applicant, *, service_option: str, actor, access, request=None
) -> Dossier:
    with transaction.atomic():
        dossier = locked_draft(dossier_id, access)
        previous_commune = dossier.applicant_commune_id
        fields = applicant.as_fields()
        for name, value in fields.items():
            setattr(dossier, name, value)
        dossier.service_option = service_option
        if dossier.return_commune_id in (None, previous_commune):
            dossier.return_commune = applicant.commune
        _default_return(dossier)
        if not is_competent(dossier, dossier.agency_id):
            competent = competent_for(dossier)
            dossier.agency = competent[0] if competent else None
        money = apply_quote(dossier, quote(dossier))
        dossier.save(
            update_fields=[
                *fields,
                "service_option",
                *RETURN_DEFAULTS,
                "agency",
                *money,
                "updated_at",
            ]
        )
        record(
            "dossier.applicant_saved",
            request=request,
            actor=actor,
            obj=dossier,
            service_point_id=dossier.receiving_point_id,
            details={"representative": bool(applicant.representative_name)},
        )
    return dossier


@dataclass
class ChecklistLine:
    document_id: int
    present: bool
    form: str
    pages: int
    note: str = ""


def save_checklist(
    dossier_id: int, lines: list[ChecklistLine], *, actor, access, request=None
) -> Dossier:
    with transaction.atomic():
        dossier = locked_draft(dossier_id, access)
        documents = {d.pk: d for d in dossier.documents.all()}
        changed = []
        for line in lines:
            doc = documents.get(line.document_id)
            if doc is None:
                continue
            doc.present, doc.form, doc.pages = line.present, line.form, line.pages
            doc.note = line.note[:200]
            changed.append(doc)
        DossierDocument.objects.bulk_update(changed, ["present", "form", "pages", "note"])
        dossier.save(update_fields=["updated_at"])
        record(
            "dossier.checklist_saved",
            request=request,
            actor=actor,
            obj=dossier,
            service_point_id=dossier.receiving_point_id,
            details=_checklist_details(dossier, list(documents.values())),
        )
    return dossier


def attach_scan(
    dossier_id: int, uploaded, *, document_id: int | None = None, actor, access, request=None
) -> Scan:
    """Attach a PDF/JPEG/PNG (checked by its bytes) under its SHA-256. Raises ScanError."""
    mime, extension, digest = check_scan(uploaded)
    with transaction.atomic():
        dossier = locked_draft(dossier_id, access)
        document = dossier.documents.filter(pk=document_id).first() if document_id else None
        scan = Scan(
            dossier=dossier,
            document=document,
            original_name=(uploaded.name or "")[:200],
            content_type=mime,
            size=uploaded.size,
            sha256=digest,
            uploaded_by=actor,
        )
        # Stored under its digest: the citizen's file name (often their name) stays out of
        # paths and URLs.
        scan.file.save(f"{digest}.{extension}", File(uploaded), save=False)
        scan.save()
        record(
            "dossier.scan_attached",
            request=request,
            actor=actor,
            obj=dossier,
            service_point_id=dossier.receiving_point_id,
            details={"sha256": digest, "size": uploaded.size, "type": mime},
        )
    return scan


def missing_documents(dossier: Dossier, documents=None) -> list[DossierDocument]:
    """Mandatory documents not handed in, or handed as a copy where the original is due."""
    documents = documents if documents is not None else list(dossier.documents.all())
    required = {r.pk: r for r in dossier.procedure_version.documents.all()}
    missing = []
    for doc in documents:
        rule = required.get(doc.required_id)
        if rule is None:
            continue
        not_handed = rule.mandatory and not doc.present
        copy_for_original = (
            doc.present
            and rule.form == RequiredDocument.Form.ORIGINAL
            and doc.form != DossierDocument.Form.ORIGINAL
        )
        if not_handed or copy_for_original:
            missing.append(doc)
    return missing


def cancel_draft(dossier_id: int, *, note: str, actor, access, request=None) -> Dossier:
    dossier, _event = perform(
        dossier_id, "cancel", actor=actor, access=access, request=request, note=note
    )
    return dossier
