"""Dossiers over JSON.

- `GET /api/v1/track/{code}` (public): a postal item's status by its number alone; the
  dossier by its code with `?phone_last4=`, or by either code with `?token=` (the label's
  QR, the citizen's messages); masked name only; rate-limited (429 with Retry-After).
- `POST /api/v1/dossiers/intakes` (staff): a whole intake in one request, see
  `intake/api.py`.
- `GET /api/v1/dossiers/{id}` and `POST /api/v1/dossiers/{id}/actions/{action}` (staff,
  session login with CSRF): the same rights as the pages, through `visible_dossiers` and
  `perform`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from postgov.audit.actions import client_ip
from postgov.dossiers.actions import (
    TransitionError,
    acting_role,
    allowed_actions,
    perform,
    visible_dossiers,
)
from postgov.dossiers.intake import api as intake_api
from postgov.dossiers.models import Dossier
from postgov.dossiers.tracking import lookup as tracking
from postgov.dossiers.workflow import STATES, TRANSITIONS, transition
from postgov.lib.problems import problem
from postgov.pagination import MAX_ID

track_router = Router(tags=["tracking"])
router = Router(tags=["dossiers"], auth=django_auth)


class StepOut(Schema):
    at: datetime
    code: str
    label: str
    place: str


class TrackOut(Schema):
    """The dossier: for its code with the phone digits, or with its tracking token."""

    scope: Literal["dossier"]
    code: str
    items: list[str]
    applicant: str
    procedure: str
    agency: str
    status: str
    status_label: str
    national_status: int | None
    final: bool
    steps: list[StepOut]
    expected_handover: datetime | None
    due_at: datetime | None
    expected_return_at: datetime | None


class PostalStepOut(Schema):
    at: datetime
    status: str
    label: str
    place: str = Field(description="The post office, for steps at one; else empty")


class PostalOut(Schema):
    """One postal item, for its number alone: where it is, nothing of the dossier."""

    scope: Literal["postal"]
    item: str
    status: str = Field(description=", ".join(tracking.PostalState.values))
    status_label: str
    final: bool
    steps: list[PostalStepOut]


class PickupStepOut(Schema):
    at: datetime
    label: str


class PickupOut(Schema):
    """A home-pickup booking, for its code with the phone digits or its SMS token."""

    scope: Literal["pickup"]
    code: str
    applicant: str = Field(description="The name given at booking, masked")
    procedure: str
    date: date
    window: str
    window_label: str
    post_office: str
    status: str
    status_label: str
    postman: str = Field(description="The assigned postman's name, or empty")
    can_change: bool = Field(description="Whether it may still be cancelled or moved")
    steps: list[PickupStepOut]


class PackagePartOut(Schema):
    step: int
    procedure: str
    agency: str
    status: str
    status_label: str
    due_at: datetime | None
    overdue: bool


class PackageOut(Schema):
    """A linked package, for its code with the phone digits: the roll-up and each part's
    state and deadline."""

    scope: Literal["package"]
    code: str
    applicant: str = Field(description="The applicant's name, masked")
    name: str = Field(description="The linked procedure")
    state: str
    state_label: str
    due_at: datetime | None
    parts: list[PackagePartOut]


def _package_out(result: tracking.PackageTracking) -> dict:
    return {
        "scope": "package",
        "code": result.code,
        "applicant": result.masked_name,
        "name": result.name,
        "state": result.state,
        "state_label": result.state_label,
        "due_at": result.due_at,
        "parts": [part.__dict__ for part in result.parts],
    }


def _pickup_out(result) -> dict:
    booking = result.booking
    return {
        "scope": "pickup",
        "code": booking.code,
        "applicant": result.masked_name,
        "procedure": booking.procedure.name,
        "date": booking.date,
        "window": booking.window,
        "window_label": str(booking.get_window_display()),
        "post_office": booking.service_point.name,
        "status": booking.status,
        "status_label": str(booking.get_status_display()),
        "postman": result.postman_name,
        "can_change": result.can_change,
        "steps": result.steps,
    }


@track_router.get(
    "/{code}",
    response=TrackOut | PostalOut | PickupOut | PackageOut,
    summary="Track a postal item or a dossier",
    openapi_extra={
        "responses": {404: {"description": "Not found"}, 429: {"description": "Too many lookups"}}
    },
)
def track(request, code: str, phone_last4: str = "", token: str = ""):
    """`code` is a postal item number (S10, e.g. `HC000000015VN`), a dossier code or a
    home-pickup booking code. An item number alone answers its postal status
    (`scope: "postal"`). The dossier (`scope: "dossier"`) needs a dossier code with
    `phone_last4`, the last four digits of the applicant's phone, or either code with
    `token`, the tracking token of the label's QR code and the citizen's messages. A
    booking (`scope: "pickup"`) needs its code with `phone_last4` (of the phone it was
    booked with) or the token of its text messages' link. A linked package
    (`scope: "package"`) needs its code with `phone_last4`."""
    try:
        result = tracking.lookup(
            code, phone_last4, client_ip(request) or "unknown", token=token[:40]
        )
    except tracking.TrackingLimited as limited:
        response = problem(request, 429, tracking.limited_message(limited))
        response["Retry-After"] = str(limited.retry_after)
        return response
    if result is None:
        raise HttpError(404, tracking.not_found_message())
    if isinstance(result, tracking.PostalStatus):  # scope "postal"
        return result.__dict__
    if isinstance(result, tracking.PackageTracking):
        return _package_out(result)
    if result.scope == "pickup":
        return _pickup_out(result)
    return {**result.__dict__, "applicant": result.masked_name, "steps": result.steps}


class DossierOut(Schema):
    id: int
    code: str | None
    status: str
    national_status: int | None
    procedure_code: str
    procedure: str
    receiving_point: str
    agency: str | None
    applicant_name: str
    items: list[str]
    total_due: int
    sealed_at: datetime | None
    actions: list[str]


class ActionIn(Schema):
    note: str = ""


DossierId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _get(request, pk: int) -> Dossier:
    dossier = (
        visible_dossiers(
            request.access,
            Dossier.objects.select_related(
                "procedure_version__procedure", "receiving_point", "agency"
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if dossier is None:
        raise HttpError(404, _("Not found."))
    return dossier


def _out(request, dossier: Dossier) -> dict:
    return {
        "id": dossier.pk,
        "code": dossier.code,
        "status": dossier.status,
        "national_status": STATES[dossier.status].national_status,
        "procedure_code": dossier.procedure_version.procedure.code,
        "procedure": dossier.procedure_version.procedure.name,
        "receiving_point": dossier.receiving_point.code,
        "agency": dossier.agency.unit_code if dossier.agency is not None else None,
        "applicant_name": dossier.applicant_name,
        "items": list(dossier.items.values_list("item_id", flat=True)),
        "total_due": dossier.total_due,
        "sealed_at": dossier.sealed_at,
        "actions": [t.action for t in allowed_actions(dossier, request.access)],
    }


@router.post(
    "/intakes",
    response={200: intake_api.IntakeOut, 201: intake_api.IntakeOut},
    summary="Receive a whole dossier in one request",
)
def post_intake(request, payload: intake_api.IntakeIn):
    """The four steps of the counter wizard at once, checked by the same rules, then
    sealed: 201 with the dossier code and item numbers; 200 when this `token` was already
    sealed (a retry); 422 problem details listing what is missing (`dossier` is the kept
    draft's id when there is one)."""
    return intake_api.submit(request, payload)


@router.get("/{int:pk}", response=DossierOut, summary="One dossier (staff)")
def get_dossier(request, pk: DossierId):
    return _out(request, _get(request, pk))


ACTIONS = sorted({t.action for t in TRANSITIONS})


@router.post("/{int:pk}/actions/{action}", response=DossierOut, summary="Act on a dossier")
def act(request, pk: DossierId, action: str, payload: ActionIn):
    """Perform a workflow action (seal and cancel are done by the intake pages; dispatch,
    and the agency's actions later) with the same checks as the pages: role and place
    (403), state and reason (409)."""
    dossier = _get(request, pk)
    if action not in ACTIONS or action == "seal":
        raise HttpError(404, _("Unknown action."))
    step = transition(action)
    if acting_role(dossier, step, request.access) is None:
        raise HttpError(403, _("You may not do this for this dossier."))
    try:
        dossier, _event = perform(
            dossier.pk,
            action,
            actor=request.user,
            access=request.access,
            request=request,
            note=payload.note,
        )
    except TransitionError as exc:
        raise HttpError(409, str(exc)) from exc
    return _out(request, _get(request, pk))
