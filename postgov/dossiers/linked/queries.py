"""What a linked package is made of and where it stands, read-only (decision 0024).

The rules (docs/domain.md §3.7): a part starts when every part of an earlier step is
settled and every part feeding it has a result; a part ending without a result closes the
waiting parts it feeds, unprocessed; the return leaves when every part's result is back
at the post or the part is closed. The package's state shown is its most pressing part's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from postgov.catalog import catalog_access
from postgov.catalog.models import LinkedProcedure, ProcedureVersion, RequiredDocument
from postgov.delivery.models import PostalItem
from postgov.dossiers.linked.models import LinkedDossier, PackagePart
from postgov.dossiers.models import Dossier, DossierEvent
from postgov.dossiers.workflow import STATES, State
from postgov.lib.text import fold

# Where a part is in the hands of its agency or on its way there: not settled yet.
OPEN = frozenset(
    {
        State.WAITING,
        State.SEALED,
        State.IN_TRANSIT,
        State.HANDED_OVER,
        State.ACCEPTED,
        State.PROCESSING,
        State.SUPPLEMENT_REQUESTED,
        State.SUPPLEMENT_SEALED,
        State.SUPPLEMENT_IN_TRANSIT,
        State.FINANCIAL_OBLIGATION,
    }
)
# The part waits for the citizen.
NEEDS_CITIZEN = frozenset({State.SUPPLEMENT_REQUESTED, State.FINANCIAL_OBLIGATION})
# Ended at the agency without a result.
NO_RESULT = frozenset({State.REFUSED, State.STOPPED, State.WITHDRAWN, State.NOT_PROCESSED})
# The part's paper is back at the post (or there is none to carry): the package's one
# return may leave once every part is in one of these.
BACK_OR_CLOSED = frozenset(
    {
        State.RESULT_COLLECTED,
        State.OUT_FOR_DELIVERY,
        State.HELD_AT_OFFICE,
        State.DELIVERED,
        State.WITHDRAWN,
        State.NOT_PROCESSED,
        State.RETURNED,
    }
)


# -- the counter's checklist ---------------------------------------------------------------


@dataclass
class PackageDocument:
    """One line of the package's checklist: a document asked by one member or more,
    handed in once."""

    key: str
    name: str
    form: str
    mandatory: bool
    procedures: list[str] = field(default_factory=list)


def document_key(name: str) -> str:
    """Two members ask for the same paper when its name is the same, accents, case and
    spacing aside."""
    return " ".join(fold(name).split())


def member_versions(linked: LinkedProcedure) -> list[tuple[int, ProcedureVersion | None]]:
    """(step, version in force) of each member, in step order."""
    return [
        (m.step, catalog_access.cached_version_in_force(m.procedure_id))
        for m in linked.members.all().order_by("step", "id")
    ]


def package_checklist(linked: LinkedProcedure) -> list[PackageDocument]:
    """The union of the members' documents, a document shared by several members once.
    A document is mandatory when any member requires it."""
    lines: dict[str, PackageDocument] = {}
    for _step, version in member_versions(linked):
        if version is None:
            continue
        for rule in version.documents.all():
            key = document_key(rule.name)
            line = lines.get(key)
            if line is None:
                line = lines[key] = PackageDocument(key, rule.name, rule.form, rule.mandatory)
            line.mandatory = line.mandatory or rule.mandatory
            if rule.form != line.form:
                # Asked as an original by one member and as a copy by another: the
                # original serves both.
                line.form = RequiredDocument.Form.ORIGINAL
            line.procedures.append(version.procedure.name)
    return list(lines.values())


# -- the parts -----------------------------------------------------------------------------


def parts_of(package: LinkedDossier) -> list[PackagePart]:
    return list(
        package.parts.select_related(
            "dossier__procedure_version__procedure", "dossier__agency"
        ).prefetch_related("fed_by")
    )


def with_result(dossier_ids) -> set[int]:
    """The dossiers among these whose agency gave a result (not a refusal): the event
    says so whatever the post did with the paper afterwards."""
    return set(
        DossierEvent.objects.filter(dossier_id__in=list(dossier_ids), action="result_ready")
        .values_list("dossier_id", flat=True)
        .distinct()
    )


def may_start(part: PackagePart, parts: list[PackagePart], results: set[int]) -> bool:
    """Every part of an earlier step settled, every part feeding it with a result."""
    feeders = {f.pk for f in part.fed_by.all()}
    for other in parts:
        if other.pk == part.pk:
            continue
        if other.step < part.step and other.dossier.status in OPEN:
            return False
        if other.pk in feeders and other.dossier_id not in results:
            return False
    return True


def blocked_by(part: PackagePart, parts: list[PackagePart]) -> PackagePart | None:
    """The part feeding this one that ended without a result, if any: this part can never
    start."""
    feeders = {f.pk for f in part.fed_by.all()}
    for other in parts:
        if other.pk in feeders and other.dossier.status in NO_RESULT:
            return other
    return None


def return_ready(parts: list[PackagePart]) -> bool:
    return all(p.dossier.status in BACK_OR_CLOSED for p in parts)


def lead_part(parts: list[PackagePart]) -> PackagePart | None:
    return next((p for p in parts if p.lead), None)


def package_return_item(dossier: Dossier) -> PostalItem | None:
    """The return item a part's result travels in: its package's one item (the lead
    part's), or None for a dossier that is no part of a package."""
    part = PackagePart.objects.filter(dossier=dossier).only("package_id").first()
    if part is None:
        return None
    return (
        PostalItem.objects.filter(
            dossier__package_part__package_id=part.package_id,
            dossier__package_part__lead=True,
            leg=PostalItem.Leg.RETURN,
        )
        .order_by("-created_at")
        .first()
    )


# -- the roll-up ---------------------------------------------------------------------------


class Pressing:
    """The package's state as shown, the most pressing first."""

    NEEDS_CITIZEN = "needs_citizen"
    OVERDUE = "overdue"
    PART_ENDED = "part_ended"
    IN_PROGRESS = "in_progress"
    RETURNING = "returning"
    DELIVERED = "delivered"
    CLOSED = "closed"

    LABELS = {
        NEEDS_CITIZEN: _("A part needs something from the citizen"),
        OVERDUE: _("A part is late at its agency"),
        PART_ENDED: _("A part ended without a result"),
        IN_PROGRESS: _("Parts being processed"),
        RETURNING: _("Every part has a result: on the way back"),
        DELIVERED: _("Delivered"),
        CLOSED: _("Closed"),
    }
    ORDER = [NEEDS_CITIZEN, OVERDUE, PART_ENDED, IN_PROGRESS, RETURNING, DELIVERED, CLOSED]


@dataclass
class PartView:
    part: PackagePart
    dossier: Dossier
    step: int
    procedure: str
    agency: str
    status: str
    status_label: str
    due_at: datetime | None
    overdue: bool
    needs: str  # what the agency asked of the citizen, when it did
    reason: str  # why it ended without a result, when it did
    fed_by: list[str]
    inputs: list[dict]


@dataclass
class Rollup:
    package: LinkedDossier
    parts: list[PartView]
    state: str
    state_label: str
    due_at: datetime | None  # the nearest deadline of an open part


def _last_notes(dossier_ids: list[int], actions: set[str]) -> dict[int, str]:
    notes: dict[int, str] = {}
    events = DossierEvent.objects.filter(dossier_id__in=dossier_ids, action__in=actions)
    for dossier_id, note in events.order_by("at", "id").values_list("dossier_id", "note"):
        notes[dossier_id] = note
    return notes


def rollup(package: LinkedDossier, now: datetime | None = None) -> Rollup:
    parts = parts_of(package)
    ids = [p.dossier_id for p in parts]
    return rollup_of(
        package,
        parts,
        now,
        needs=_last_notes(ids, {"request_supplement", "request_payment"}),
        reasons=_last_notes(ids, {"refuse", "stop", "withdraw", "close_unprocessed"}),
    )


def rollup_of(
    package: LinkedDossier,
    parts: list[PackagePart],
    now: datetime | None = None,
    *,
    needs: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
) -> Rollup:
    """The roll-up of parts already read (with their dossier, its procedure and agency,
    and `fed_by`, as `parts_of` reads them): no query of its own, so a list of packages
    can prefetch its parts once. Without `needs` and `reasons` the parts carry no notes
    of the agency."""
    now = now or timezone.now()
    needs = needs or {}
    reasons = reasons or {}
    parts = sorted(parts, key=lambda p: (p.step, p.pk))
    codes = {p.pk: p.dossier.code or "" for p in parts}
    views: list[PartView] = []
    for part in parts:
        dossier = part.dossier
        open_at_agency = dossier.status in OPEN and dossier.status != State.WAITING
        late = bool(
            open_at_agency
            and dossier.due_at
            and dossier.clock_paused_at is None
            and dossier.due_at < now
        )
        views.append(
            PartView(
                part=part,
                dossier=dossier,
                step=part.step,
                procedure=dossier.procedure_version.procedure.name,
                agency=dossier.agency.name if dossier.agency else "",
                status=dossier.status,
                status_label=str(State(dossier.status).label),
                due_at=dossier.due_at,
                overdue=late,
                needs=needs.get(dossier.pk, "") if dossier.status in NEEDS_CITIZEN else "",
                reason=reasons.get(dossier.pk, "") if dossier.status in NO_RESULT else "",
                fed_by=[codes[f.pk] for f in part.fed_by.all()],
                inputs=part.inputs,
            )
        )
    if any(v.status in NEEDS_CITIZEN for v in views):
        state = Pressing.NEEDS_CITIZEN
    elif any(v.overdue for v in views):
        state = Pressing.OVERDUE
    elif any(v.status in OPEN for v in views):
        ended = any(v.status in NO_RESULT for v in views)
        state = Pressing.PART_ENDED if ended else Pressing.IN_PROGRESS
    elif all(STATES[v.status].final for v in views):
        delivered = any(v.status == State.DELIVERED for v in views)
        state = Pressing.DELIVERED if delivered else Pressing.CLOSED
    else:
        state = Pressing.RETURNING
    deadlines = [v.due_at for v in views if v.due_at and v.status in OPEN]
    return Rollup(
        package=package,
        parts=views,
        state=state,
        state_label=str(Pressing.LABELS[state]),
        due_at=min(deadlines) if deadlines else None,
    )


def packages_visible(access, queryset: QuerySet[LinkedDossier] | None = None):
    """The packages a person may see: those received at their post offices, and (an
    agency) those with a part at it, and (oversight) those of their provinces."""
    queryset = LinkedDossier.objects.all() if queryset is None else queryset
    return access.scope(
        queryset,
        point_field="receiving_point",
        agency_field="parts__dossier__agency",
        province_field="province",
    ).distinct()
