"""The dossier's life, in one table (docs/domain.md §4).

States, the actions that move a dossier between them, who may perform each action, the
service level of each state and its national-portal status (TrangThaiHoSo 1–10). No
transition happens anywhere else: `postgov.dossiers.actions.perform` reads this table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from postgov.identity.models import AGENCY_ROLES, POINT_ROLES, Role


class State(models.TextChoices):
    DRAFT = "draft", _("Draft at the counter")
    SEALED = "sealed", _("Sealed, waiting for dispatch")
    IN_TRANSIT = "in_transit", _("On the way to the agency")
    HANDED_OVER = "handed_over", _("Handed over to the agency")
    ACCEPTED = "accepted", _("Accepted by the agency")
    PROCESSING = "processing", _("Being processed")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
    SUPPLEMENT_SEALED = "supplement_sealed", _("Supplement sealed, waiting for dispatch")
    SUPPLEMENT_IN_TRANSIT = "supplement_in_transit", _("Supplement on the way to the agency")
    FINANCIAL_OBLIGATION = "financial_obligation", _("Waiting for a financial obligation")
    REFUSED = "refused", _("Refused by the agency")
    STOPPED = "stopped", _("Processing stopped")
    WITHDRAWN = "withdrawn", _("Withdrawn by the citizen")
    RESULT_READY = "result_ready", _("Result ready at the agency")
    RESULT_COLLECTED = "result_collected", _("Result collected by the post")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    HELD_AT_OFFICE = "held_at_office", _("Waiting at the post office")
    DELIVERED = "delivered", _("Delivered")
    RETURNED = "returned", _("Returned to the agency")
    CANCELLED = "cancelled", _("Cancelled at the counter")
    # A part of a linked package (decision 0024): received and sealed at the counter, it
    # waits at the post office for the result of the part(s) that feed it.
    WAITING = "waiting", _("Waiting for another part's result")
    NOT_PROCESSED = "not_processed", _("Closed, not processed")


class Leg(models.TextChoices):
    """Whose time a state counts against (SLA per leg: the post is not blamed for the
    agency's days, nor the reverse)."""

    COUNTER = "counter", _("counter")
    POST = "post", _("post")
    AGENCY = "agency", _("agency")
    CITIZEN = "citizen", _("citizen")
    CLOSED = "closed", _("closed")
    # Waiting for another part of the same package: nobody's time yet.
    PACKAGE = "package", _("another part of the package")


@dataclass(frozen=True)
class StateInfo:
    national_status: int | None  # TrangThaiHoSo; None = not yet reported to the portal
    leg: str
    # Target time in this state, in working days (None: no target, e.g. waiting on the
    # citizen or a final state; the agency's own limit comes from the procedure).
    sla_working_days: float | None = None
    final: bool = False


STATES: dict[str, StateInfo] = {
    State.DRAFT: StateInfo(None, Leg.COUNTER),
    State.SEALED: StateInfo(1, Leg.POST, sla_working_days=1),
    State.IN_TRANSIT: StateInfo(1, Leg.POST, sla_working_days=2),
    State.HANDED_OVER: StateInfo(1, Leg.AGENCY, sla_working_days=0.5),
    State.ACCEPTED: StateInfo(2, Leg.AGENCY),
    State.PROCESSING: StateInfo(4, Leg.AGENCY),
    State.SUPPLEMENT_REQUESTED: StateInfo(5, Leg.CITIZEN),
    # The citizen brought the supplement to a counter: the post carries it (new leg); the
    # legal clock stays paused until the agency receives it.
    State.SUPPLEMENT_SEALED: StateInfo(5, Leg.POST, sla_working_days=1),
    State.SUPPLEMENT_IN_TRANSIT: StateInfo(5, Leg.POST, sla_working_days=2),
    State.FINANCIAL_OBLIGATION: StateInfo(6, Leg.CITIZEN),
    State.REFUSED: StateInfo(3, Leg.POST, sla_working_days=2),
    State.STOPPED: StateInfo(8, Leg.POST, sla_working_days=2),
    State.WITHDRAWN: StateInfo(7, Leg.CLOSED, final=True),
    State.RESULT_READY: StateInfo(9, Leg.POST, sla_working_days=1),
    State.RESULT_COLLECTED: StateInfo(9, Leg.POST, sla_working_days=1),
    State.OUT_FOR_DELIVERY: StateInfo(9, Leg.POST, sla_working_days=2),
    State.HELD_AT_OFFICE: StateInfo(9, Leg.CITIZEN),
    State.DELIVERED: StateInfo(10, Leg.CLOSED, final=True),
    State.RETURNED: StateInfo(9, Leg.CLOSED, final=True),
    State.CANCELLED: StateInfo(None, Leg.CLOSED, final=True),
    State.WAITING: StateInfo(1, Leg.PACKAGE),
    State.NOT_PROCESSED: StateInfo(8, Leg.CLOSED, final=True),
}

OFFICERS = frozenset({Role.AGENCY_OFFICER})
# A transition done by the system itself (a scheduled task, the agency API).
SYSTEM = "system"


class Scope(models.TextChoices):
    """Where the actor must work for the action to be theirs."""

    POINT = "point", _("the receiving post office")
    AGENCY = "agency", _("the competent agency")
    RETURN_POINT = "return_point", _("the post office that returns the result")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    scope: str
    event_code: str  # tracking event code shown on the timeline (EMSEVT idea)
    label: object
    # Reason required (refusal, supplement, stop...): the form asks for it.
    needs_reason: bool = False
    notify_citizen: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _t(
    action: str,
    sources: Iterable[str],
    target: str,
    roles: Iterable[str],
    scope: str,
    code: str,
    label: object,
    **kwargs: Any,
) -> Transition:
    return Transition(
        action, frozenset(sources), target, frozenset(roles), scope, code, label, **kwargs
    )


# Accepted and being processed: the agency may decide in either.
UNDER_REVIEW = [State.ACCEPTED, State.PROCESSING]

TRANSITIONS: tuple[Transition, ...] = (
    # -- counter ------------------------------------------------------------------------
    _t(
        "seal",
        [State.DRAFT],
        State.SEALED,
        POINT_ROLES,
        Scope.POINT,
        "SEAL",
        _("Dossier received and sealed"),
        notify_citizen=True,
    ),
    _t(
        "cancel",
        [State.DRAFT],
        State.CANCELLED,
        POINT_ROLES,
        Scope.POINT,
        "CANCEL",
        _("Draft cancelled"),
        needs_reason=True,
    ),
    _t(
        "dispatch",
        [State.SEALED],
        State.IN_TRANSIT,
        POINT_ROLES,
        Scope.POINT,
        "DISPATCH",
        _("On the way to the agency"),
    ),
    # -- parts of a linked package (decision 0024) ---------------------------------------
    # Sealed with the package, the part waits at the post office for the part(s) that
    # feed it; their results in hand, it starts like any sealed dossier. When a part it
    # depends on ends without a result, it is closed unprocessed. Both are done by the
    # system, in the transaction of the step that decides them.
    _t(
        "seal_waiting",
        [State.DRAFT],
        State.WAITING,
        POINT_ROLES,
        Scope.POINT,
        "SEAL_WAIT",
        _("Received and sealed; waits for another part's result"),
    ),
    _t(
        "start_part",
        [State.WAITING],
        State.SEALED,
        POINT_ROLES,
        Scope.POINT,
        "PART_START",
        _("The result it needs is ready: on its way to the agency"),
        notify_citizen=True,
    ),
    _t(
        "close_unprocessed",
        [State.WAITING],
        State.NOT_PROCESSED,
        POINT_ROLES,
        Scope.POINT,
        "NOT_PROCESSED",
        _("Closed, not processed: a part it depends on has no result"),
        needs_reason=True,
        notify_citizen=True,
    ),
    # -- agency -------------------------------------------------------------------------
    # The postman presents the manifest (recorded on it, with their signature) and the
    # agency's receiver confirms the count: the receiver performs the transition, and the
    # hand-over record carries both signatures.
    _t(
        "hand_over",
        [State.IN_TRANSIT],
        State.HANDED_OVER,
        AGENCY_ROLES,
        Scope.AGENCY,
        "HANDOVER",
        _("Handed over to the agency (legal time of submission)"),
        notify_citizen=True,
    ),
    _t(
        "accept",
        [State.HANDED_OVER],
        State.ACCEPTED,
        AGENCY_ROLES,
        Scope.AGENCY,
        "ACCEPT",
        _("Accepted for processing"),
    ),
    _t(
        "start_processing",
        [State.ACCEPTED],
        State.PROCESSING,
        OFFICERS,
        Scope.AGENCY,
        "PROCESS",
        _("Processing started"),
    ),
    _t(
        "refuse",
        [State.HANDED_OVER],
        State.REFUSED,
        AGENCY_ROLES,
        Scope.AGENCY,
        "REFUSE",
        _("Refused by the agency"),
        needs_reason=True,
        notify_citizen=True,
    ),
    _t(
        "request_supplement",
        [State.HANDED_OVER, *UNDER_REVIEW],
        State.SUPPLEMENT_REQUESTED,
        AGENCY_ROLES,
        Scope.AGENCY,
        "SUPPLEMENT_REQ",
        _("Supplement requested"),
        needs_reason=True,
        notify_citizen=True,
    ),
    # The citizen supplements through a counter, which seals the new papers as a new postal
    # item and sends them to the agency on a manifest, like the dossier itself.
    _t(
        "seal_supplement",
        [State.SUPPLEMENT_REQUESTED],
        State.SUPPLEMENT_SEALED,
        POINT_ROLES,
        Scope.POINT,
        "SUPPLEMENT_SEAL",
        _("Supplement received at the counter and sealed"),
        notify_citizen=True,
    ),
    _t(
        "dispatch_supplement",
        [State.SUPPLEMENT_SEALED],
        State.SUPPLEMENT_IN_TRANSIT,
        POINT_ROLES,
        Scope.POINT,
        "SUPPLEMENT_DISPATCH",
        _("Supplement on the way to the agency"),
    ),
    # From "requested" directly when the citizen brings the papers to the agency itself.
    _t(
        "supplement_received",
        [State.SUPPLEMENT_REQUESTED, State.SUPPLEMENT_IN_TRANSIT],
        State.PROCESSING,
        AGENCY_ROLES,
        Scope.AGENCY,
        "SUPPLEMENT_IN",
        _("Supplement received, processing resumes"),
    ),
    _t(
        "request_payment",
        UNDER_REVIEW,
        State.FINANCIAL_OBLIGATION,
        OFFICERS,
        Scope.AGENCY,
        "FIN_OBLIGATION",
        _("Financial obligation to pay"),
        needs_reason=True,
        notify_citizen=True,
    ),
    _t(
        "payment_received",
        [State.FINANCIAL_OBLIGATION],
        State.PROCESSING,
        AGENCY_ROLES,
        Scope.AGENCY,
        "FIN_PAID",
        _("Financial obligation paid"),
    ),
    _t(
        "extend",
        UNDER_REVIEW,
        State.PROCESSING,
        OFFICERS,
        Scope.AGENCY,
        "EXTEND",
        _("Apology and new due date"),
        needs_reason=True,
        notify_citizen=True,
    ),
    _t(
        "stop",
        [*UNDER_REVIEW, State.SUPPLEMENT_REQUESTED, State.FINANCIAL_OBLIGATION],
        State.STOPPED,
        OFFICERS,
        Scope.AGENCY,
        "STOP",
        _("Processing stopped"),
        needs_reason=True,
        notify_citizen=True,
    ),
    _t(
        "withdraw",
        [
            State.HANDED_OVER,
            *UNDER_REVIEW,
            State.SUPPLEMENT_REQUESTED,
            State.FINANCIAL_OBLIGATION,
        ],
        State.WITHDRAWN,
        AGENCY_ROLES,
        Scope.AGENCY,
        "WITHDRAW",
        _("Withdrawn at the citizen's request"),
        needs_reason=True,
        notify_citizen=True,
    ),
    _t(
        "result_ready",
        UNDER_REVIEW,
        State.RESULT_READY,
        OFFICERS,
        Scope.AGENCY,
        "RESULT_READY",
        _("Result ready"),
        notify_citizen=True,
    ),
    # The citizen chose to collect the result at the agency's own desk.
    _t(
        "deliver_at_agency",
        [State.RESULT_READY, State.REFUSED, State.STOPPED],
        State.DELIVERED,
        AGENCY_ROLES,
        Scope.AGENCY,
        "DELIVERED_AGENCY",
        _("Result handed to the citizen at the agency"),
        notify_citizen=True,
    ),
    # -- return of results --------------------------------------------------------------
    _t(
        "collect_result",
        [State.RESULT_READY, State.REFUSED, State.STOPPED],
        State.RESULT_COLLECTED,
        POINT_ROLES,
        Scope.RETURN_POINT,
        "RESULT_COLLECT",
        _("Result collected from the agency"),
    ),
    _t(
        "out_for_delivery",
        [State.RESULT_COLLECTED, State.OUT_FOR_DELIVERY],
        State.OUT_FOR_DELIVERY,
        POINT_ROLES,
        Scope.RETURN_POINT,
        "OUT_DELIVERY",
        _("Out for delivery"),
    ),
    _t(
        "delivery_failed",
        [State.OUT_FOR_DELIVERY],
        State.RESULT_COLLECTED,
        POINT_ROLES,
        Scope.RETURN_POINT,
        "DELIVERY_FAIL",
        _("Delivery attempt failed"),
        needs_reason=True,
        notify_citizen=True,
    ),
    _t(
        "hold_at_office",
        [State.RESULT_COLLECTED, State.OUT_FOR_DELIVERY],
        State.HELD_AT_OFFICE,
        POINT_ROLES,
        Scope.RETURN_POINT,
        "HELD",
        _("Waiting at the post office for collection"),
        notify_citizen=True,
    ),
    _t(
        "deliver",
        [State.OUT_FOR_DELIVERY, State.HELD_AT_OFFICE],
        State.DELIVERED,
        POINT_ROLES,
        Scope.RETURN_POINT,
        "DELIVERED",
        _("Delivered"),
        notify_citizen=True,
    ),
    _t(
        "return_to_agency",
        [State.RESULT_COLLECTED, State.HELD_AT_OFFICE],
        State.RETURNED,
        POINT_ROLES,
        Scope.RETURN_POINT,
        "RETURNED",
        _("Returned to the agency"),
        needs_reason=True,
    ),
)

BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}


def transition(action: str) -> Transition:
    try:
        return BY_ACTION[action]
    except KeyError:
        raise KeyError(f"unknown dossier action {action!r}") from None


def actions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS if state in t.sources]


def national_status(state: str) -> int | None:
    return STATES[state].national_status


# -- the legal clock ---------------------------------------------------------------------
# What each action does to the agency's legal deadline (docs/domain.md §3.5): the hand-over is the
# legal time of submission; a supplement request or a financial obligation stops the clock
# until the papers or the payment arrive. `extend` sets a new date (Form 04) itself.
class Clock(models.TextChoices):
    START = "start", _("starts")
    PAUSE = "pause", _("pauses")
    RESUME = "resume", _("resumes")


CLOCK: dict[str, str] = {
    "hand_over": Clock.START,
    "request_supplement": Clock.PAUSE,
    "request_payment": Clock.PAUSE,
    "supplement_received": Clock.RESUME,
    "payment_received": Clock.RESUME,
}


# -- service levels per leg --------------------------------------------------------------
@dataclass(frozen=True)
class Segment:
    """A stretch of a dossier's life that one party answers for. It starts when the dossier
    enters one of `states` from outside them and ends when it leaves them. The target is
    `working_days` from the start, or (agency) the legal deadline of the dossier."""

    name: str
    leg: str
    states: frozenset[str]
    working_days: float | None
    label: object


def _sla_of(*states: str) -> float:
    """The service levels of consecutive states added up (each of them has one)."""
    total: float = 0
    for state in states:
        days = STATES[state].sla_working_days
        if days is None:
            raise ValueError(f"{state} has no service level")
        total += days
    return total


SEGMENTS: tuple[Segment, ...] = (
    Segment(
        "outbound",
        Leg.POST,
        frozenset({State.SEALED, State.IN_TRANSIT}),
        _sla_of(State.SEALED, State.IN_TRANSIT),
        _("Post: dossier to the agency"),
    ),
    Segment(
        "supplement",
        Leg.POST,
        frozenset({State.SUPPLEMENT_SEALED, State.SUPPLEMENT_IN_TRANSIT}),
        _sla_of(State.SUPPLEMENT_SEALED, State.SUPPLEMENT_IN_TRANSIT),
        _("Post: supplement to the agency"),
    ),
    Segment(
        "agency",
        Leg.AGENCY,
        frozenset({State.HANDED_OVER, State.ACCEPTED, State.PROCESSING}),
        None,
        _("Agency: processing"),
    ),
    Segment(
        "return",
        Leg.POST,
        frozenset(
            {
                State.RESULT_READY,
                State.REFUSED,
                State.STOPPED,
                State.RESULT_COLLECTED,
                State.OUT_FOR_DELIVERY,
            }
        ),
        _sla_of(State.RESULT_READY, State.RESULT_COLLECTED, State.OUT_FOR_DELIVERY),
        _("Post: result to the citizen"),
    ),
)
SEGMENT_OF_STATE: dict[str, Segment] = {s: seg for seg in SEGMENTS for s in seg.states}
SEGMENT_BY_NAME: dict[str, Segment] = {seg.name: seg for seg in SEGMENTS}


def segment_of(state: str) -> Segment | None:
    return SEGMENT_OF_STATE.get(state)
