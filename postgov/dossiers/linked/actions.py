"""Every change of a linked package (decision 0024): the one intake, the parts starting
or closing as others decide, the one return.

A part is a real dossier: every step of it goes through `dossiers.actions.perform`. What
the package adds runs in the hooks of those steps (`after_part_step`, `return_rule`), so
a step done on a page, through the agency API or by a task moves the package the same way.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.audit.actions import chained_at_end, record
from postgov.catalog.models import ExemptCategory, LinkedProcedure
from postgov.delivery.models import ProofOfDelivery
from postgov.dossiers.actions import TransitionError, perform
from postgov.dossiers.carriage import returns
from postgov.dossiers.intake import drafts, sealing
from postgov.dossiers.intake.common import Applicant, IntakeError, can_receive_at, competent_for
from postgov.dossiers.intake.pricing import RouteAndFees, default_fee
from postgov.dossiers.linked import queries
from postgov.dossiers.linked.models import LinkedDossier, PackagePart, PackageStatus
from postgov.dossiers.models import (
    DailySequence,
    Dossier,
    DossierDocument,
    DossierEvent,
    ReturnMethod,
    ServiceOption,
)
from postgov.dossiers.numbering import KEY
from postgov.dossiers.workflow import STATES, State, Transition
from postgov.lib import tracking_links
from postgov.lib.counters import bump_many
from postgov.lib.locking import lock_one, lock_rows
from postgov.lib.phones import to_e164
from postgov.notify.actions import queue_message
from postgov.places.models import Commune, ServicePoint

PACKAGE_PREFIX = "LK"


# -- intake --------------------------------------------------------------------------------


@dataclass
class PackageIntake:
    """What the clerk records once for the whole package."""

    token: uuid.UUID
    linked: LinkedProcedure
    point: ServicePoint
    applicant: Applicant
    # The keys (queries.document_key) of the documents handed in.
    present: set[str] = field(default_factory=set)
    return_method: str = ReturnMethod.DELIVER
    return_address: str = ""
    return_commune: Commune | None = None
    return_point: ServicePoint | None = None
    exemption: ExemptCategory | None = None
    exemption_note: str = ""
    payment_method: str = ""
    payment_reference: str = ""


def _package_code(point: ServicePoint, day: Any) -> str:
    """`LK.<point>-YYMMDD-NNNN`, counted per point and day like the dossier codes; the
    dot keeps it in the shape the public tracking accepts."""
    # Letters and digits of the point's code only: the dashes separate the parts.
    series = f"{PACKAGE_PREFIX}.{re.sub(r'[^0-9A-Z]', '', point.code.upper())}"[:30]
    key = (series, day)
    value = bump_many(DailySequence, [key], KEY)[key]
    return f"{series}-{day:%y%m%d}-{value:04d}"


def _fee_lines(parts: list[Dossier]) -> list[dict[str, Any]]:
    lines = []
    for dossier in parts:
        name = dossier.procedure_version.procedure.name
        for kind, amount in (
            ("procedure_fee", dossier.procedure_fee if dossier.post_collects_fee else 0),
            ("postage_out", dossier.postage_out),
            ("remittance_fee", dossier.remittance_fee),
            ("postage_back", dossier.postage_back),
        ):
            if amount:
                lines.append({"kind": kind, "procedure": name, "amount": amount})
    return lines


def take_in(
    intake: PackageIntake,
    *,
    actor: Any,
    access: Any,
    request: HttpRequest | None = None,
    at: datetime | None = None,
) -> LinkedDossier:
    """One intake for a linked procedure, in one transaction: a sealed dossier per member
    (the first step's parts sealed to go, the later ones sealed to wait), one package
    code, one fee total. The same token twice returns the first package. Raises
    IntakeError with what to fix; nothing is written then."""
    existing = LinkedDossier.objects.filter(intake_token=intake.token).first()
    if existing is not None:
        return existing
    if not can_receive_at(access, intake.point.pk):
        raise PermissionDenied
    members = list(intake.linked.members.select_related("procedure").order_by("step", "id"))
    if len(members) < 2 or not intake.linked.active:
        raise IntakeError([_("This linked procedure is not offered.")])
    first_step = members[0].step
    now = at or timezone.now()
    versions = queries.member_versions(intake.linked)
    problems: list[str] = []
    for member, (_step, version) in zip(members, versions, strict=True):
        if version is None:
            problems.append(
                _("%(procedure)s has no version in force.") % {"procedure": member.procedure.name}
            )
    if problems:
        raise IntakeError(problems)
    with transaction.atomic(), chained_at_end():
        sealed: dict[int, Dossier] = {}
        parts: dict[int, PackagePart] = {}
        package = LinkedDossier.objects.create(
            code=_package_code(intake.point, timezone.localdate(now)),
            linked_procedure=intake.linked,
            intake_token=intake.token,
            province_id=intake.point.commune.province_id,
            receiving_point=intake.point,
            received_by=actor,
            applicant_name=intake.applicant.name,
            applicant_phone=intake.applicant.phone,
        )
        for index, (member, (_step, version)) in enumerate(zip(members, versions, strict=True)):
            lead = index == 0
            dossier = _seal_part(
                intake,
                member.procedure.code,
                version,
                lead=lead,
                waiting=member.step != first_step,
                actor=actor,
                access=access,
                request=request,
                at=now,
                problems=problems,
            )
            if dossier is None:
                continue
            sealed[member.pk] = dossier
            parts[member.pk] = PackagePart.objects.create(
                package=package,
                dossier=dossier,
                step=member.step,
                lead=lead,
                started_at=None if member.step != first_step else now,
            )
        if problems:
            # Nothing of a refused package stays: its drafts and seals roll back.
            raise IntakeError(problems)
        for member in members:
            feeders = [parts[f.pk] for f in member.fed_by.all() if f.pk in parts]
            if feeders:
                parts[member.pk].fed_by.set(feeders)
        package.fee_lines = _fee_lines(list(sealed.values()))
        package.total_due = sum(d.total_due for d in sealed.values())
        package.save(update_fields=["fee_lines", "total_due"])
        record(
            "linked.taken_in",
            request=request,
            actor=actor,
            obj=package,
            service_point_id=intake.point.pk,
            details={
                "code": package.code,
                "linked": intake.linked.code,
                "parts": [d.code for d in sealed.values()],
                "total": package.total_due,
            },
        )
        _notify_taken_in(package, sealed[members[0].pk])
    return package


def _seal_part(
    intake: PackageIntake,
    procedure_code: str,
    version: Any,
    *,
    lead: bool,
    waiting: bool,
    actor: Any,
    access: Any,
    request: HttpRequest | None,
    at: datetime,
    problems: list[str],
) -> Dossier | None:
    """One part, drafted and sealed as the one-request intake does. The lead part carries
    the return (its item is the package's); the others only go to their agency, and their
    results come back in the lead's item."""
    checklist = {}
    for rule in version.documents.all():
        present = queries.document_key(rule.name) in intake.present
        form = (
            DossierDocument.Form.ORIGINAL if rule.form == "original" else DossierDocument.Form.COPY
        )
        checklist[rule.position] = drafts.ChecklistLine(0, present, form, 1 if present else 0)
    draft = drafts.open_draft(
        token=uuid.uuid5(intake.token, procedure_code),
        point=intake.point,
        version=version,
        service_option=ServiceOption.BOTH if lead else ServiceOption.SEND,
        applicant=intake.applicant,
        checklist=checklist,
        actor=actor,
        access=access,
        request=request,
    )
    dossier = draft.dossier
    competent = competent_for(dossier)
    if not competent:
        problems.append(
            _("No agency handles %(procedure)s for this commune.")
            % {"procedure": version.procedure.name}
        )
        return None
    choices = RouteAndFees(
        agency=competent[0],
        return_method=intake.return_method,
        return_address=intake.return_address,
        return_commune=intake.return_commune,
        return_point=intake.return_point,
        fee_option=default_fee(version),
        exemption=intake.exemption,
        exemption_note=intake.exemption_note,
        payment_method=intake.payment_method,
        payment_reference=intake.payment_reference,
    )
    try:
        with transaction.atomic():
            sealed, _now = sealing.seal(
                dossier.pk,
                actor=actor,
                access=access,
                request=request,
                choices=choices,
                draft=dossier if draft.created else None,
                documents=draft.documents if draft.created else None,
                at=at,
                waiting=waiting,
                notify=False,
            )
    except (IntakeError, TransitionError) as exc:
        name = version.procedure.name
        for problem in getattr(exc, "problems", None) or [str(exc)]:
            problems.append(f"{name}: {problem}")
        return None
    return sealed


def _notify_taken_in(package: LinkedDossier, lead: Dossier) -> None:
    context = {
        "code": package.code,
        "total_text": f"{package.total_due:,}".replace(",", ".") + " dong",
        "parts": package.parts.count(),
        # The code and the phone's last four digits open the package's page: no token
        # in the message, as a dossier's code alone shows nothing either.
        "track_url": tracking_links.tracking_url(package.code),
    }
    queue_message("sms", to_e164(package.applicant_phone), "linked_taken_in", context, about=lead)


# -- the parts moving each other -----------------------------------------------------------

# The steps of a part after which another part may start or close, or the package's
# state change. Any other step leaves the package as it was, without a query.
PACKAGE_STEPS = frozenset(
    {
        "result_ready",
        "refuse",
        "stop",
        "withdraw",
        "close_unprocessed",
        "collect_result",
        "deliver",
        "deliver_at_agency",
        "return_to_agency",
    }
)


def after_part_step(dossier: Dossier, event: DossierEvent) -> None:
    """AFTER_TRANSITION hook: a part's result starts the parts waiting for it; a part
    ending without a result closes the waiting parts it feeds; the package's state
    follows. Runs in the step's transaction."""
    if event.action not in PACKAGE_STEPS:
        return
    part = PackagePart.objects.filter(dossier_id=dossier.pk).only("package_id").first()
    if part is None:
        return
    package = lock_one(LinkedDossier, part.package_id)
    # One part at a time, read again after each: closing or starting a part is a step of
    # its own, whose hook may already have moved the others.
    while _next_waiting_part(package, event):
        pass
    _settle(package, event.at)


def _next_waiting_part(package: LinkedDossier, event: DossierEvent) -> bool:
    """Close or start the first waiting part that can be; False when none can."""
    parts = queries.parts_of(package)
    results = queries.with_result(p.dossier_id for p in parts)
    for waiting in [p for p in parts if p.dossier.status == State.WAITING]:
        blocker = queries.blocked_by(waiting, parts)
        if blocker is not None:
            _close_part(waiting, blocker, event)
            return True
        if queries.may_start(waiting, parts, results):
            _start_part(waiting, parts, event)
            return True
    return False


def _close_part(part: PackagePart, blocker: PackagePart, event: DossierEvent) -> None:
    reason = _("%(code)s (%(procedure)s) ended without a result: %(state)s.") % {
        "code": blocker.dossier.code,
        "procedure": blocker.dossier.procedure_version.procedure.name,
        "state": State(blocker.dossier.status).label,
    }
    if event.note:
        reason = f"{reason} {event.note}"
    closed, _event = perform(
        part.dossier_id,
        "close_unprocessed",
        note=reason[:1000],
        at=event.at,
        details={"because_of": blocker.dossier.code},
    )
    part.dossier = closed


def _start_part(part: PackagePart, parts: list[PackagePart], event: DossierEvent) -> None:
    """The part sets off with the results of the parts feeding it, recorded on it."""
    feeders = {f.pk for f in part.fed_by.all()}
    inputs = []
    for other in parts:
        if other.pk not in feeders:
            continue
        documents = [
            {
                "name": r.name,
                "number": r.number,
                "issued_on": r.issued_on.isoformat() if r.issued_on else "",
            }
            for r in other.dossier.result_documents.all()
        ]
        inputs.append(
            {
                "code": other.dossier.code,
                "procedure": other.dossier.procedure_version.procedure.name,
                "documents": documents,
            }
        )

    def started(row: Dossier) -> list[str]:
        return []

    started_dossier, _event = perform(
        part.dossier_id,
        "start_part",
        at=event.at,
        apply=started,
        details={"inputs": [i["code"] for i in inputs]},
    )
    part.dossier = started_dossier
    part.inputs = inputs
    part.started_at = event.at
    part.save(update_fields=["inputs", "started_at"])


def _settle(package: LinkedDossier, at: datetime) -> None:
    parts = queries.parts_of(package)
    statuses = {p.dossier.status for p in parts}
    if statuses & queries.OPEN:
        status = PackageStatus.IN_PROGRESS
    elif not all(STATES[s].final for s in statuses):
        status = PackageStatus.RETURNING
    elif State.DELIVERED in statuses:
        status = PackageStatus.DELIVERED
    else:
        status = PackageStatus.CLOSED
    if status == package.status:
        return
    previous = package.status
    package.status = status
    changed = ["status", "updated_at"]
    if status == PackageStatus.RETURNING and package.ready_at is None:
        package.ready_at = at
        changed.append("ready_at")
    if status == PackageStatus.DELIVERED:
        package.delivered_at = at
        changed.append("delivered_at")
    package.save(update_fields=changed)
    record(
        "linked.status_changed",
        obj=package,
        service_point_id=package.receiving_point_id,
        details={"from": previous, "to": status},
    )


def return_rule(dossier: Dossier, step: Transition, moment: Any) -> list[str]:
    """BEFORE_SAVE rule: a part's result leaves the post only with the package's, in one
    delivery: out for delivery or held once every part is back or closed; the lead part
    (the package's item and proof) delivered first, the others with it."""
    if step.action not in ("out_for_delivery", "hold_at_office", "deliver"):
        return []
    part = PackagePart.objects.filter(dossier_id=dossier.pk).only("package_id", "lead").first()
    if part is None:
        return []
    package = LinkedDossier.objects.get(pk=part.package_id)
    parts = queries.parts_of(package)
    others = [p for p in parts if p.dossier_id != dossier.pk]
    if step.action in ("out_for_delivery", "hold_at_office"):
        if not queries.return_ready(others):
            raise TransitionError(
                _(
                    "This result goes back in one delivery with the other parts of %(code)s: "
                    "not every part is back yet."
                )
                % {"code": package.code}
            )
    elif not part.lead:
        lead = queries.lead_part(parts)
        if lead is not None and lead.dossier.status != State.DELIVERED:
            raise TransitionError(
                _("Deliver the package %(code)s as a whole.") % {"code": package.code}
            )
    return []


# -- the one return ------------------------------------------------------------------------


def _package_parts_locked(package_id: int) -> tuple[LinkedDossier, list[PackagePart]]:
    package = lock_one(LinkedDossier, package_id)
    lock_rows(Dossier.objects.filter(package_part__package_id=package_id))
    return package, queries.parts_of(package)


def out_for_delivery(
    package_id: int,
    *,
    user: Any,
    access: Any,
    postman: Any = None,
    request: HttpRequest | None = None,
) -> LinkedDossier:
    """Every part's result leaves with one postman, in the package's one item."""
    with transaction.atomic():
        package, parts = _package_parts_locked(package_id)
        if not queries.return_ready(parts):
            raise TransitionError(_("Not every part of this package is back yet."))
        moved = 0
        for part in sorted(parts, key=lambda p: not p.lead):
            if part.dossier.status == State.RESULT_COLLECTED:
                returns.out_for_delivery(
                    part.dossier_id, user=user, access=access, postman=postman, request=request
                )
                moved += 1
        if not moved:
            raise TransitionError(_("Nothing of this package is waiting to go out."))
        record(
            "linked.out_for_delivery",
            request=request,
            actor=user,
            obj=package,
            service_point_id=package.receiving_point_id,
            details={"parts": moved},
        )
    return package


def deliver(
    package_id: int,
    proof: returns.Proof,
    *,
    user: Any,
    access: Any,
    at_counter: bool = False,
    request: HttpRequest | None = None,
) -> tuple[LinkedDossier, ProofOfDelivery]:
    """One delivery for the whole package against one proof: the lead part's (the
    package's item), the others delivered with it, their events pointing at that proof."""
    with transaction.atomic():
        package, parts = _package_parts_locked(package_id)
        lead = queries.lead_part(parts)
        if lead is None:  # pragma: no cover (every package has one)
            raise TransitionError(_("This package has no return."))
        _dossier, pod = returns.deliver(
            lead.dossier_id,
            proof,
            user=user,
            access=access,
            at_counter=at_counter,
            request=request,
        )
        expected = State.HELD_AT_OFFICE if at_counter else State.OUT_FOR_DELIVERY
        for part in parts:
            if part.lead or part.dossier.status != expected:
                continue
            perform(
                part.dossier_id,
                "deliver",
                actor=user,
                access=access,
                request=request,
                at=pod.at,
                details={"with": lead.dossier.code, "proof": pod.pk, "at_counter": at_counter},
            )
        record(
            "linked.delivered",
            request=request,
            actor=user,
            obj=package,
            service_point_id=package.receiving_point_id,
            details={"proof": pod.pk, "parts": len(parts)},
        )
    package.refresh_from_db()
    return package, pod
