"""Receiving a dossier at the counter (or at a house, for a home pickup): the draft, its
checklist and scans, routing, fees, and sealing (docs/domain.md §2).

Every function here changes the database inside `transaction.atomic`, checks that the
person may work on the draft, and writes an audit record; views and the API only call
them. Sealing goes through `actions.perform("seal")`, the only way a state changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.agencies.calendar import calendar_for
from postgov.agencies.models import Agency
from postgov.agencies.routing import competent_agencies
from postgov.audit.actions import chained_at_end, record
from postgov.catalog import catalog_access
from postgov.catalog.models import ExemptCategory, Fee, ProcedureVersion, RequiredDocument
from postgov.delivery import actions as delivery
from postgov.delivery.models import PickupBooking, PostalItem
from postgov.dossiers.actions import TransitionError, perform
from postgov.dossiers.fees import (
    FeeBreakdown,
    FeeQuestion,
    compute_fees,
    uses_outbound,
    uses_return,
    zone,
)
from postgov.dossiers.models import (
    Dossier,
    DossierDocument,
    PaymentMethod,
    ReturnMethod,
    Scan,
    ServiceOption,
)
from postgov.dossiers.numbering import seal_numbers
from postgov.dossiers.scans import check_scan
from postgov.dossiers.workflow import STATES, State
from postgov.identity.models import POINT_ROLES
from postgov.lib import refcache, tracking_links
from postgov.lib.locking import lock_one, lock_row
from postgov.lib.pdf import vnd
from postgov.lib.phones import to_e164
from postgov.lib.text import unaccent
from postgov.notify.actions import queue_message
from postgov.places.addresses import split_address
from postgov.places.conversion import convert_old_address
from postgov.places.models import Commune, ServicePoint


class IntakeError(Exception):
    """The dossier cannot go on as it is; `problems` says what to fix, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class Applicant:
    name: str
    id_number: str
    phone: str
    birth_date: date | None = None
    gender: str = ""
    email: str = ""
    address: str = ""
    commune: Commune | None = None
    representative_name: str = ""
    representative_id_number: str = ""
    representative_document: str = ""

    def as_fields(self) -> dict:
        return {
            "applicant_name": self.name,
            "applicant_id_number": self.id_number,
            "applicant_phone": self.phone,
            "applicant_birth_date": self.birth_date,
            "applicant_gender": self.gender,
            "applicant_email": self.email,
            "applicant_address": split_address(self.address, self.commune),
            "applicant_commune": self.commune,
            "representative_name": self.representative_name,
            "representative_id_number": self.representative_id_number,
            "representative_document": self.representative_document,
        }


# -- who may work on what ------------------------------------------------------------------


def can_receive_at(access, point_id: int | None) -> bool:
    return access.can_act_at_point(point_id, *POINT_ROLES)


def intake_points(access) -> list[ServicePoint]:
    """The points where this person receives dossiers."""
    ids = tuple(sorted(access.point_ids(*POINT_ROLES)))
    return refcache.get(
        "places.active_points",
        ids,
        lambda: list(
            ServicePoint.objects.filter(pk__in=ids, active=True).select_related("commune")
        ),
    )


def _locked_draft(dossier_id: int, access) -> Dossier:
    dossier = lock_one(Dossier, dossier_id)
    if not can_receive_at(access, dossier.receiving_point_id):
        raise PermissionDenied
    if dossier.status != State.DRAFT:
        raise IntakeError([_("This dossier is already sealed and can no longer be changed.")])
    return dossier


def address_conversion(address: str):
    """The post-2025 equivalent of an old address (places' offline converter), or None
    when nothing was recognised."""
    if not address:
        return None
    result = convert_old_address(address)
    return result if result.recognised_anything else None


# -- routing and money --------------------------------------------------------------------


def routing_commune(dossier: Dossier) -> Commune:
    """Where competence is looked up: the applicant's commune, else the point's."""
    return dossier.applicant_commune or dossier.receiving_point.commune


def agencies_for(dossier: Dossier):
    """The competent agencies as a queryset, for the form that lists them."""
    return competent_agencies(dossier.procedure_version.procedure_id, routing_commune(dossier))


def competent_for(dossier: Dossier) -> list[Agency]:
    """The competent agencies, proposed one first, from the process's reference data
    (read-only instances)."""
    commune = routing_commune(dossier)
    procedure_id = dossier.procedure_version.procedure_id
    return refcache.get(
        "routing.competent_agencies",
        (procedure_id, commune.pk),
        lambda: list(competent_agencies(procedure_id, commune)),
    )


def _is_competent(dossier: Dossier, agency_id: int | None) -> bool:
    return agency_id in {a.pk for a in competent_for(dossier)}


def default_fee(version: ProcedureVersion) -> Fee | None:
    fees = sorted(version.fees.all(), key=lambda f: (not f.is_default, f.pk))
    return fees[0] if fees else None


def _return_province_id(dossier: Dossier) -> int | None:
    if dossier.return_method == ReturnMethod.HOLD and dossier.return_point_id:
        return dossier.return_point.commune.province_id
    commune = dossier.return_commune or dossier.applicant_commune
    return commune.province_id if commune else None


@dataclass
class Quote:
    breakdown: FeeBreakdown
    zone_out: str = ""
    zone_back: str = ""
    tariff_name: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.breakdown.total


def quote(dossier: Dossier, on: date | None = None) -> Quote:
    """What the dossier costs with its current choices and the tariff in force."""
    point_province = dossier.receiving_point.commune.province_id
    agency_province = dossier.agency.province_id if dossier.agency_id else None
    zone_out = zone(point_province, agency_province)
    zone_back = zone(agency_province, _return_province_id(dossier))
    problems: list[str] = []
    out_charge = back_charge = remittance = 0
    tariff = catalog_access.tariff_for(point_province, on)
    needs_postage = uses_outbound(dossier.service_option) or uses_return(
        dossier.service_option, dossier.return_method
    )
    if tariff is None:
        if needs_postage:
            problems.append(
                _("No postal tariff is in force for this province: ask the administrator.")
            )
    else:
        remittance = tariff.remittance_fee
        try:
            if uses_outbound(dossier.service_option):
                out_charge = catalog_access.postal_charge(tariff, zone_out, dossier.weight_g)
            if uses_return(dossier.service_option, dossier.return_method):
                # The result's weight is unknown at the counter: the base band is prepaid.
                back_charge = catalog_access.postal_charge(
                    tariff, zone_back, PostalItem._meta.get_field("weight_g").default
                )
        except catalog_access.TariffError as exc:
            problems.append(str(exc))
    fee_amount = dossier.fee_option.amount if dossier.fee_option_id else 0
    breakdown = compute_fees(
        FeeQuestion(
            service_option=dossier.service_option,
            return_method=dossier.return_method,
            procedure_fee=fee_amount,
            post_collects_fee=dossier.post_collects_fee,
            outbound_charge=out_charge,
            return_charge=back_charge,
            remittance_charge=remittance,
            exempt=dossier.exemption_id is not None,
        )
    )
    return Quote(breakdown, zone_out, zone_back, tariff.name if tariff else "", problems)


SEAL_RELATED = (
    "receiving_point__commune__province",
    "agency",
    "procedure_version__procedure",
    "fee_option",
    "return_commune",
    "return_point__commune",
    "applicant_commune",
)
MONEY_FIELDS = ["procedure_fee", "postage_out", "postage_back", "remittance_fee", "total_due"]


def _apply_quote(dossier: Dossier, result: Quote) -> list[str]:
    b = result.breakdown
    dossier.procedure_fee = b.procedure_fee
    dossier.postage_out = b.postage_out
    dossier.postage_back = b.postage_back
    dossier.remittance_fee = b.remittance_fee
    dossier.total_due = b.total
    return MONEY_FIELDS


# -- the draft ----------------------------------------------------------------------------


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
            competent = competent_for(dossier)
            dossier.agency = competent[0] if competent else None
            dossier.fee_option = default_fee(version)
            _default_return(dossier)
            _apply_quote(dossier, quote(dossier))
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
        dossier = _locked_draft(dossier_id, access)
        previous_commune = dossier.applicant_commune_id
        for name, value in applicant.as_fields().items():
            setattr(dossier, name, value)
        dossier.service_option = service_option
        if dossier.return_commune_id in (None, previous_commune):
            dossier.return_commune = applicant.commune
        _default_return(dossier)
        if not _is_competent(dossier, dossier.agency_id):
            competent = competent_for(dossier)
            dossier.agency = competent[0] if competent else None
        _apply_quote(dossier, quote(dossier))
        dossier.save()
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
        dossier = _locked_draft(dossier_id, access)
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
        dossier = _locked_draft(dossier_id, access)
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


@dataclass
class RouteAndFees:
    agency: Agency | None
    return_method: str
    return_address: str = ""
    return_commune: Commune | None = None
    return_point: ServicePoint | None = None
    fee_option: Fee | None = None
    post_collects_fee: bool = True
    weight_g: int = 100
    exemption: ExemptCategory | None = None
    exemption_note: str = ""
    payment_method: str = ""
    payment_reference: str = ""


def apply_route_and_fees(dossier: Dossier, choices: RouteAndFees) -> None:
    """Set the choices on an (unsaved) dossier object; used to quote and to save."""
    dossier.agency = choices.agency
    dossier.return_method = choices.return_method
    dossier.return_address = split_address(choices.return_address, choices.return_commune)
    dossier.return_commune = choices.return_commune
    dossier.return_point = choices.return_point or dossier.receiving_point
    dossier.fee_option = choices.fee_option
    dossier.post_collects_fee = choices.post_collects_fee
    dossier.weight_g = choices.weight_g
    dossier.exemption = choices.exemption
    dossier.exemption_note = choices.exemption_note if choices.exemption else ""
    dossier.payment_method = choices.payment_method
    dossier.payment_reference = (
        choices.payment_reference if choices.payment_method == PaymentMethod.TRANSFER else ""
    )


def save_route_and_fees(
    dossier_id: int, choices: RouteAndFees, *, actor, access, request=None
) -> Dossier:
    with transaction.atomic():
        dossier = _locked_draft(dossier_id, access)
        _check_route_and_fees(dossier, choices)
        apply_route_and_fees(dossier, choices)
        _apply_quote(dossier, quote(dossier))
        dossier.save()
        record(
            "dossier.fees_recorded",
            request=request,
            actor=actor,
            obj=dossier,
            service_point_id=dossier.receiving_point_id,
            details=_route_details(dossier, choices),
        )
    return dossier


def _check_route_and_fees(dossier: Dossier, choices: RouteAndFees) -> None:
    if choices.agency is not None and not _is_competent(dossier, choices.agency.pk):
        raise IntakeError([_("This agency is not competent for the procedure here.")])
    if choices.fee_option is not None and (
        choices.fee_option.version_id != dossier.procedure_version_id
    ):
        raise IntakeError([_("This fee does not belong to the procedure.")])


ROUTE_FIELDS = [
    "agency",
    "return_method",
    "return_address",
    "return_commune",
    "return_point",
    "fee_option",
    "post_collects_fee",
    "weight_g",
    "exemption",
    "exemption_note",
    "payment_method",
    "payment_reference",
]


def _route_details(dossier: Dossier, choices: RouteAndFees) -> dict:
    return {
        "agency": choices.agency.unit_code if choices.agency else "",
        "return": dossier.return_method,
        "total": dossier.total_due,
        "payment": dossier.payment_method,
        "exemption": choices.exemption.code if choices.exemption else "",
    }


# -- checks before sealing ------------------------------------------------------------------


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


def seal_problems(dossier: Dossier, result: Quote | None = None, documents=None) -> list[str]:
    problems: list[str] = []
    version = dossier.procedure_version
    if not version.postal_allowed:
        problems.append(postal_refusal(version))
    current = catalog_access.cached_version_in_force(version.procedure_id)
    if current is None or current.pk != version.pk:
        problems.append(_("The procedure changed since this draft was saved: start a new dossier."))
    if version.postal_check_allowed:
        for doc in missing_documents(dossier, documents):
            problems.append(_("Missing: %(document)s") % {"document": doc.name})
    if not uses_outbound(dossier.service_option) and not uses_return(
        dossier.service_option, dossier.return_method
    ):
        problems.append(_("With these choices the post carries nothing: check the service."))
    if dossier.agency_id is None:
        problems.append(_("Choose the agency that will receive the dossier."))
    if uses_return(dossier.service_option, dossier.return_method):
        if dossier.return_method == ReturnMethod.DELIVER and not (
            dossier.return_address and dossier.return_commune_id
        ):
            problems.append(_("Give the delivery address and its commune."))
        if dossier.return_method == ReturnMethod.HOLD and not dossier.return_point_id:
            problems.append(_("Choose the post office where the result will wait."))
    if dossier.exemption_id and not dossier.exemption_note.strip():
        problems.append(_("Note the proof of the exemption (e.g. the card number)."))
    result = result or quote(dossier)
    problems += result.problems
    if result.total > 0:
        if not dossier.payment_method:
            problems.append(_("Record how the citizen paid."))
        elif dossier.payment_method == PaymentMethod.TRANSFER and not dossier.payment_reference:
            problems.append(_("Note the reference of the bank transfer."))
    return problems


# -- sealing ---------------------------------------------------------------------------------


OUTBOUND_STATES = (State.SEALED, State.IN_TRANSIT)
RETURN_STATES = (State.RESULT_READY, State.RESULT_COLLECTED, State.OUT_FOR_DELIVERY)


def post_days(states) -> Decimal:
    return Decimal(str(sum(STATES[s].sla_working_days or 0 for s in states)))


def expected_return(dossier: Dossier, sealed_at: datetime) -> datetime:
    """An estimate for the citizen, on the agency's calendar: the post's outbound legs at
    their service levels, then the procedure's own time limit, then the return legs."""
    calendar = calendar_for(dossier.agency)
    version = dossier.procedure_version
    handed_over = calendar.due_in_working_days(
        sealed_at, post_days(OUTBOUND_STATES), after_15h_next_day=False
    )
    if version.time_unit == ProcedureVersion.TimeUnit.WORKING_HOURS:
        due = calendar.due_in_working_hours(handed_over, version.processing_time)
    else:
        due = calendar.due_in_working_days(
            handed_over, version.processing_time, after_15h_next_day=version.next_day_after_15h
        )
    return calendar.due_in_working_days(due, post_days(RETURN_STATES), after_15h_next_day=False)


def seal(
    dossier_id: int,
    *,
    actor,
    access,
    request=None,
    seal_number: str = "",
    choices: RouteAndFees | None = None,
    draft: Dossier | None = None,
    documents: list[DossierDocument] | None = None,
) -> tuple[Dossier, bool]:
    """Seal the draft in ONE transaction: dossier code, S10 item(s), seal and receipt
    numbers, the state change and its event, the pickup closed, the citizen's SMS queued.
    `choices` (agency, return, fees, payment), when given, are recorded with the seal as
    `save_route_and_fees` would, saving a round of writes for one-request intakes.
    `draft` is the draft object when the caller created it in the transaction it seals
    in (no one else can see the row yet, so it is neither locked nor read again), and
    `documents` its checklist as written.

    Returns (dossier, sealed_now); a dossier sealed now carries the postal items written
    for it as `sealed_items`. Sealing an already sealed dossier (a double submit)
    returns it unchanged with sealed_now False. Raises IntakeError listing what is
    missing, PermissionDenied for someone who may not receive at this point."""
    with transaction.atomic(), chained_at_end():
        # Locked and read with everything the checks, the numbers and the message need,
        # in one query; `perform` works on this same row.
        if draft is not None and draft.pk == dossier_id:
            dossier = draft
        else:
            dossier = lock_row(
                Dossier.objects.select_related(*SEAL_RELATED).filter(pk=dossier_id), of=("self",)
            )
            if dossier is None:
                raise Dossier.DoesNotExist(f"Dossier {dossier_id} does not exist")
        if not can_receive_at(access, dossier.receiving_point_id):
            raise PermissionDenied
        if dossier.status != State.DRAFT:
            if dossier.sealed_at is not None:
                return dossier, False
            raise TransitionError(_("This dossier was cancelled; it cannot be sealed."))
        if choices is not None:
            _check_route_and_fees(dossier, choices)
            apply_route_and_fees(dossier, choices)
        now = timezone.now()
        today = timezone.localdate(now)
        result = quote(dossier, today)
        problems = seal_problems(dossier, result, documents if draft is not None else None)
        if problems:
            raise IntakeError(problems)
        point = dossier.receiving_point
        back = expected_return(dossier, now)
        legs = []
        if uses_outbound(dossier.service_option):
            legs.append((PostalItem.Leg.OUTBOUND, dossier.weight_g))
        if uses_return(dossier.service_option, dossier.return_method):
            # The result's weight is unknown at the counter: the base band is prepaid.
            legs.append((PostalItem.Leg.RETURN, PostalItem._meta.get_field("weight_g").default))
        # The S10 serials come from a sequence that locks nothing; the counters below stay
        # locked until commit, so they come after it, from the least to the most shared:
        # the point's own (seal, receipt), then the agency's gap-free dossier codes (and the
        # audit chain, which every clerk uses, last of all at the end of the block).
        items = delivery.create_items(dossier, legs)
        numbers = seal_numbers(
            unit_code=dossier.agency.unit_code,
            point_code=point.code,
            day=today,
            seal=not seal_number.strip(),
            receipt=bool(result.total > 0 or dossier.procedure_fee),
        )
        seal_no = seal_number.strip()[:30] or numbers.seal_number
        receipt, code = numbers.receipt_number, numbers.code

        def apply(d: Dossier) -> list[str]:
            route = []
            if choices is not None:
                apply_route_and_fees(d, choices)
                route = ROUTE_FIELDS
            d.code = code
            d.seal_number = seal_no
            d.sealed_at = now
            d.receipt_number = receipt
            d.paid_at = now if result.total > 0 else None
            d.expected_return_at = back
            return [
                "code",
                "seal_number",
                "sealed_at",
                "receipt_number",
                "paid_at",
                "expected_return_at",
                *route,
                *_apply_quote(d, result),
            ]

        sealed, _event = perform(
            dossier.pk,
            "seal",
            actor=actor,
            access=access,
            request=request,
            apply=apply,
            at=now,
            locked=dossier,
            details={
                "code": code,
                "items": [i.item_id for i in items],
                "seal": seal_no,
                "receipt": receipt,
                **(_route_details(dossier, choices) if choices is not None else {}),
                "total": result.total,
            },
        )
        if sealed.pickup_id:
            delivery.mark_collected(sealed.pickup_id, sealed, actor=actor, request=request)
        notify_sealed(sealed, items)
    # The API's answer shows the items just written: it need not read them back.
    sealed.sealed_items = items
    return sealed, True


def notify_sealed(dossier: Dossier, items: list[PostalItem]) -> None:
    tracking_code = items[0].item_id if items else dossier.code
    context = {
        "code": dossier.code,
        "item": tracking_code,
        "procedure": dossier.procedure_version.procedure.name,
        "point": dossier.receiving_point.name,
        "total_text": vnd(dossier.total_due),
        "expected": timezone.localtime(dossier.expected_return_at).date()
        if dossier.expected_return_at
        else None,
        # With the token: one tap shows the citizen their whole dossier.
        "track_url": tracking_links.link(dossier.code, dossier.pk),
    }
    sms_context = {
        **context,
        "procedure": unaccent(context["procedure"])[:60],
        "point": unaccent(context["point"]),
        "total_text": f"{dossier.total_due:,}".replace(",", ".") + " dong",
    }
    queue_message(
        "sms", to_e164(dossier.applicant_phone), "dossier_sealed", sms_context, about=dossier
    )
    queue_message("email", dossier.applicant_email, "dossier_sealed", context, about=dossier)


def cancel_draft(dossier_id: int, *, note: str, actor, access, request=None) -> Dossier:
    dossier, _event = perform(
        dossier_id, "cancel", actor=actor, access=access, request=request, note=note
    )
    return dossier


def dispatch(dossier_ids: list[int], *, actor, access, request=None) -> tuple[int, list[str]]:
    """Put sealed dossiers on the way to their agencies, each in its own transaction, so
    one refusal does not hold back the others. Returns (count done, messages)."""
    done, errors = 0, []
    for pk in sorted(set(dossier_ids)):
        try:
            perform(pk, "dispatch", actor=actor, access=access, request=request)
            done += 1
        except (TransitionError, Dossier.DoesNotExist) as exc:
            errors.append(str(exc))
    return done, errors
