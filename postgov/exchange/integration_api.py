"""The agency integration API (`/api/v1/agency/`): an agency's own system pulls its
dossiers, acknowledges them, posts status changes and results, and reads its webhook log.

Authentication: the agency's API key in `X-API-Key` (or `Authorization: Bearer <key>`),
or an OAuth2 access token of the agency's client (client credentials grant at the PostID
token endpoint) in `Authorization: Bearer <token>`, whose scopes are enforced:
`agency.dossiers.read` for reading, `agency.dossiers.write` for every change.
Every query is scoped to that agency: another agency's dossier is simply not found.
Mutating calls honour `Idempotency-Key`. Errors are RFC 9457 problem details.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.security import APIKeyHeader, HttpBearer
from pydantic import AfterValidator

from postgov.dossiers.actions import TransitionError
from postgov.dossiers.agency.actions import (
    AGENCY_ACTIONS,
    MAX_RESULT_BYTES,
    ResultFile,
    Who,
    acknowledge,
    act,
    sniff_type,
)
from postgov.dossiers.agency.official_forms import render_event_form
from postgov.dossiers.clock import Calendars
from postgov.dossiers.models import Dossier
from postgov.dossiers.workflow import State, transition
from postgov.exchange import webhooks
from postgov.exchange.idempotency import idempotent
from postgov.exchange.integration import (
    READ,
    WRITE,
    Credential,
    bearer_credential,
    key_credential,
)
from postgov.exchange.models import WebhookDelivery
from postgov.exchange.payloads import dossier_detail, dossier_summary
from postgov.lib.workingtime import VIETNAM

BIG = 2**62


class AgencyApiKey(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request, key):
        credential = key_credential(key)
        request._agency_credential = credential
        return credential


class AgencyBearer(HttpBearer):
    """An API key, or an OAuth2 access token (client credentials) of the agency's client."""

    def authenticate(self, request, token):
        credential = bearer_credential(token)
        request._agency_credential = credential
        return credential


def require_scope(request, scope: str) -> None:
    credential: Credential = request.auth
    if not credential.allows(scope):
        raise HttpError(
            403,
            _("This credential lacks the “%(scope)s” scope.") % {"scope": scope},
        )


router = Router(tags=["agency integration"], auth=[AgencyApiKey(), AgencyBearer()])


# -- input types that cannot hurt the database ---------------------------------------------


def _printable(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise ValueError("control characters are not allowed")
    return value.strip()


def _moment(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM)
    try:
        value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("date out of range") from exc
    if not 2000 <= value.year <= 2100:
        raise ValueError("date out of range")
    return value


Text = Annotated[str, AfterValidator(_printable)]
Moment = Annotated[datetime, AfterValidator(_moment)]
DossierCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z.\-]{1,60}$")]
Id = Annotated[int, Path(ge=1, le=BIG)]


# -- output --------------------------------------------------------------------------------


class DocumentOut(Schema):
    position: int
    name: str
    form: str
    present: bool
    pages: int


class ItemOut(Schema):
    item_id: str
    leg: str
    created_at: datetime


class ResultDocumentOut(Schema):
    name: str
    number: str
    issued_on: date | None
    content_type: str
    size: int
    sha256: str


class AttachmentOut(Schema):
    id: int
    event_id: int
    name: str
    content_type: str
    size: int
    sha256: str
    url: str = Field(description="Download it (same credential, read scope)")


class EventOut(Schema):
    id: int
    at: datetime
    action: str
    code: str
    from_status: str
    to_status: str
    national_status: int | None
    reason_code: str
    action_code: str
    note: str
    form: str | None = Field(None, description="Circular 03/2025 form issued by this event")


class DossierSummary(Schema):
    code: str
    status: str
    status_label: str
    national_status: int | None
    procedure_code: str
    procedure_name: str
    applicant_name: str
    receiving_point: str
    sealed_at: datetime | None
    submitted_at: datetime | None = Field(description="Hand-over: the legal time of submission")
    due_at: datetime | None
    first_due_at: datetime | None
    clock_paused: bool
    working_days_left: float | None = Field(
        description="Working days before the due date (negative when late; frozen while paused)"
    )
    deadline: Literal["late", "due_soon", "on_time"] | None = Field(
        description="While the agency's clock runs: late (past the due moment), due_soon "
        "(within one working day) or on_time; a stopped clock is late or on_time as it "
        "stopped; null when the clock has not started or is over"
    )
    agency_reference: str
    acknowledged_at: datetime | None
    updated_at: datetime


class DossierOut(DossierSummary):
    applicant_id_number: str
    applicant_birth_date: date | None
    applicant_gender: str
    applicant_phone: str
    applicant_email: str
    applicant_address: str
    representative_name: str
    return_method: str
    return_address: str
    procedure_fee: int
    fees_handed_over: int
    documents: list[DocumentOut]
    items: list[ItemOut]
    results: list[ResultDocumentOut]
    attachments: list[AttachmentOut] = Field(
        description="Documents attached to status changes (e.g. Form 02's annex)"
    )
    events: list[EventOut]
    allowed_actions: list[str]


class DossierPage(Schema):
    items: list[DossierSummary]
    next_after: int | None = Field(description="Pass as `after` to get the next page")


class DeliveryOut(Schema):
    id: int
    event_type: str
    dossier_code: str | None
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str = Field(
        description=(
            'Empty once delivered; otherwise one of "could not connect", '
            '"refused: address not allowed", "host not found", "https required", '
            '"invalid address", "redirect not followed", "HTTP 4xx", "HTTP 5xx", '
            '"endpoint disabled", "signing secret unreadable", "failed"'
        )
    )
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    resent_from: int | None


# -- queries -------------------------------------------------------------------------------

HIDDEN = (State.DRAFT, State.CANCELLED)
if TYPE_CHECKING:
    # The names come from the workflow's table at run time, which mypy cannot read.
    StatusName = str
else:
    # The API's schema lists the states an agency may filter by.
    StatusName = Literal[tuple(s for s in State.values if s not in HIDDEN)]


def _dossiers(request):
    credential: Credential = request.auth
    return (
        # Practice dossiers of a training class never reach an agency (decision 0019).
        Dossier.objects.filter(agency_id=credential.agency_id, practice=False)
        .exclude(status__in=HIDDEN)
        .select_related("procedure_version__procedure", "receiving_point")
    )


def _dossier(request, code: str) -> Dossier:
    dossier = _dossiers(request).filter(code=code).first()
    if dossier is None:
        raise HttpError(404, _("No such dossier."))
    return dossier


def _who(request) -> Who:
    credential: Credential = request.auth
    return Who(request=request, via=credential.via())


@router.get("/dossiers", response=DossierPage, summary="List the agency's dossiers")
def list_dossiers(
    request,
    status: Annotated[list[StatusName] | None, Query()] = None,
    updated_since: Annotated[Moment | None, Query()] = None,
    after: Annotated[int, Query(ge=0, le=BIG)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
):
    """Dossiers addressed to the agency (from sealing on), oldest first by id. Filter by
    `status` (repeatable) and `updated_since`; page with `after` = the last id seen."""
    require_scope(request, READ)
    queryset = _dossiers(request).filter(pk__gt=after)
    if status:
        queryset = queryset.filter(status__in=status)
    if updated_since is not None:
        queryset = queryset.filter(updated_at__gte=updated_since)
    rows = list(queryset.order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    calendars = Calendars()
    return {
        "items": [dossier_summary(d, calendars) for d in rows],
        "next_after": rows[-1].pk if more and rows else None,
    }


@router.get("/dossiers/{code}", response=DossierOut, summary="One dossier with its history")
def get_dossier(request, code: DossierCode):
    require_scope(request, READ)
    return dossier_detail(_dossier(request, code))


@router.get("/dossiers/{code}/events/{event_id}/form", summary="The form an event issued (PDF)")
def get_form(request, code: DossierCode, event_id: Id):
    """Form 01–05 (Circular 03/2025) as a PDF, for events that issue one."""
    require_scope(request, READ)
    dossier = _dossier(request, code)
    event = dossier.events.filter(pk=event_id).first()
    if event is None:
        raise HttpError(404, _("No such event."))
    try:
        name, data = render_event_form(dossier, event)
    except ValueError as exc:
        raise HttpError(404, _("This event issues no form.")) from exc
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/dossiers/{code}/attachments/{attachment_id}", summary="A document attached to a step")
def get_attachment(request, code: DossierCode, attachment_id: Id):
    """The file as it was attached (its SHA-256 is in the dossier detail and the event)."""
    require_scope(request, READ)
    dossier = _dossier(request, code)
    attachment = dossier.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise HttpError(404, _("No such document."))
    extension = (attachment.file.name or "").rsplit(".", 1)[-1]
    with attachment.file.open("rb") as stored:
        response = HttpResponse(stored.read(), content_type=attachment.content_type)
    response["Content-Disposition"] = f'attachment; filename="{attachment.sha256[:16]}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -- changes -------------------------------------------------------------------------------


class AcknowledgeIn(Schema):
    reference: Annotated[Text, Field(min_length=1, max_length=60)] = Field(
        description="The dossier's number in the agency's own system"
    )


ActionName = Literal[tuple(a for a in AGENCY_ACTIONS if a != "result_ready")]  # type: ignore[valid-type]


class ResultFileIn(Schema):
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    number: Annotated[Text, Field(max_length=60)] = ""
    content_base64: Annotated[str, Field(min_length=4, max_length=14_000_000)]


class ActionIn(Schema):
    action: ActionName  # type: ignore[valid-type]
    note: Annotated[Text, Field(max_length=2000)] = ""
    reason_code: Annotated[Text, Field(max_length=20)] = ""
    missing: Annotated[list[Annotated[Text, Field(max_length=300)]], Field(max_length=30)] = []
    amount: Annotated[int | None, Field(ge=1, le=10_000_000_000)] = None
    new_due: Moment | None = None
    files: Annotated[list[ResultFileIn], Field(max_length=10)] = Field(
        [],
        description="Documents attached to the step (PDF, PNG or JPEG, base64, up to 10 MB "
        "each), e.g. the annex of a supplement request or the refusal letter",
    )


class ResultDocumentIn(Schema):
    name: Annotated[Text, Field(min_length=1, max_length=300)]
    number: Annotated[Text, Field(max_length=60)] = ""
    issued_on: date | None = None


class ResultIn(Schema):
    documents: Annotated[list[ResultDocumentIn], Field(max_length=20)] = []
    files: Annotated[list[ResultFileIn], Field(max_length=10)] = []
    note: Annotated[Text, Field(max_length=2000)] = ""
    late_reason: Annotated[Text, Field(max_length=2000)] = Field(
        "",
        description="Required when the result comes after the due date: the reason for the "
        "delay, printed on Form 04 (the apology and new appointment)",
    )
    new_due: Moment | None = Field(
        None,
        description="Required with `late_reason`: when the citizen will have the result",
    )


def _decoded(uploads: list[ResultFileIn]) -> list[ResultFile]:
    files = []
    for upload in uploads:
        try:
            content = base64.b64decode(upload.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise HttpError(
                422,
                _("The file “%(name)s” is not valid base64.") % {"name": upload.name},
            ) from exc
        if len(content) > MAX_RESULT_BYTES:
            raise HttpError(
                422,
                _("The file “%(name)s” is larger than 10 MB.") % {"name": upload.name},
            )
        if sniff_type(content) is None:
            raise HttpError(
                422,
                _("The file “%(name)s” must be a PDF, PNG or JPEG.") % {"name": upload.name},
            )
        files.append(ResultFile(upload.name, content, number=upload.number))
    return files


def _act(request, dossier: Dossier, action: str, **data) -> dict:
    step = transition(action)
    if dossier.status not in step.sources:
        raise HttpError(
            409,
            _("Cannot “%(action)s” while the dossier is “%(state)s”.")
            % {"action": step.label, "state": State(dossier.status).label},
        )
    try:
        dossier, _event = act(dossier.pk, action, _who(request), **data)
    except TransitionError as exc:
        raise HttpError(422, str(exc)) from exc
    # The agency's dossiers are sealed, so they have their code; none has "".
    return dossier_detail(_dossier(request, dossier.code or ""))


@router.post("/dossiers/{code}/acknowledge", response=DossierOut, summary="Acknowledge receipt")
@decorate_view(idempotent)
def acknowledge_dossier(request, code: DossierCode, payload: AcknowledgeIn):
    """The agency's system registered the dossier under its own number."""
    require_scope(request, WRITE)
    dossier = _dossier(request, code)
    try:
        acknowledge(dossier.pk, payload.reference, _who(request))
    except TransitionError as exc:
        raise HttpError(409, str(exc)) from exc
    return dossier_detail(_dossier(request, code))


@router.post("/dossiers/{code}/actions", response=DossierOut, summary="Post a status change")
@decorate_view(idempotent)
def post_action(request, code: DossierCode, payload: ActionIn):
    """Accept, request a supplement (`missing`), refuse or stop (`reason_code`), ask for a
    payment (`amount`), extend (`new_due`; after the due date it is recorded as late),
    withdraw... The form
    the step issues is listed in the dossier's events."""
    require_scope(request, WRITE)
    dossier = _dossier(request, code)
    data = payload.dict()
    action = data.pop("action")
    if data.get("new_due") is None:
        data.pop("new_due")
    data["files"] = _decoded(payload.files)
    return _act(request, dossier, action, **data)


@router.post("/dossiers/{code}/results", response=DossierOut, summary="Post the result")
@decorate_view(idempotent)
def post_result(request, code: DossierCode, payload: ResultIn):
    """The result documents and their scans (PDF, PNG or JPEG, base64): the dossier
    becomes "result ready" and the post collects it. After the due date the result needs
    `late_reason` and `new_due` (422 without them): Form 04 is issued first."""
    require_scope(request, WRITE)
    dossier = _dossier(request, code)
    files = _decoded(payload.files)
    documents = [d.dict() for d in payload.documents]
    return _act(
        request,
        dossier,
        "result_ready",
        documents=documents,
        files=files,
        note=payload.note,
        late_reason=payload.late_reason,
        new_due=payload.new_due,
    )


# -- webhook log ---------------------------------------------------------------------------


def _delivery_out(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.pk,
        "event_type": delivery.event_type,
        "dossier_code": delivery.dossier.code if delivery.dossier is not None else None,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": webhooks.error_code(delivery.last_error),
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
        "next_attempt_at": delivery.next_attempt_at,
        "resent_from": delivery.resent_from_id,
    }


def _deliveries(request):
    return WebhookDelivery.objects.filter(
        endpoint__agency_id=request.auth.agency_id
    ).select_related("dossier")


@router.get("/webhooks/deliveries", response=list[DeliveryOut], summary="Webhook delivery log")
def list_deliveries(
    request,
    status: Annotated[Literal["pending", "delivered", "retrying", "failed"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
):
    require_scope(request, READ)
    queryset = _deliveries(request)
    if status:
        queryset = queryset.filter(status=status)
    return [_delivery_out(d) for d in queryset.order_by("-created_at", "-id")[:limit]]


@router.post(
    "/webhooks/deliveries/{delivery_id}/resend", response=DeliveryOut, summary="Re-send a webhook"
)
@decorate_view(idempotent)
def resend_delivery(request, delivery_id: Id):
    require_scope(request, WRITE)
    delivery = _deliveries(request).filter(pk=delivery_id).first()
    if delivery is None:
        raise HttpError(404, _("No such delivery."))
    copy = webhooks.resend(delivery, request=request, via=request.auth.via())
    return _delivery_out(copy)
