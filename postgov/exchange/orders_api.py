"""Postal orders in the agency API (`/api/v1/agency/orders`, decision 0016): an agency's
system (or the national portal on its behalf) orders the post to deliver the result of a
dossier filed online, or to collect its originals, follows the order's steps and cancels it
before the post has collected anything.

Same credentials, scopes and Idempotency-Key as the rest of the agency API; a refused
order is answered with problem details carrying a stable `code` and is kept in the audit
trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import HttpError

from postgov.dossiers.orders.actions import OrderError, OrderRequest, cancel, create_order
from postgov.dossiers.orders.models import PostalOrder
from postgov.exchange.idempotency import idempotent
from postgov.exchange.integration import READ, WRITE, Credential
from postgov.exchange.integration_api import AgencyApiKey, AgencyBearer, Text, require_scope
from postgov.exchange.payloads import order_event_out, order_out
from postgov.lib.problems import problem

router = Router(tags=["agency integration: postal orders"], auth=[AgencyApiKey(), AgencyBearer()])

OrderCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{1,12}$")]
# The status each refusal is answered with; the body's `code` says which it is.
STATUS_OF = {
    "invalid": 422,
    "unknown_dossier": 422,
    "already_delivered": 409,
    "already_ordered": 409,
    "wrong_state": 409,
    "not_found": 404,
    "forbidden": 403,
    "portal_unavailable": 503,
}


class OrderDocumentIn(Schema):
    name: Annotated[Text, Field(min_length=1, max_length=300)]
    number: Annotated[Text, Field(max_length=60)] = ""
    original: bool = True


class RecipientIn(Schema):
    name: Annotated[Text, Field(min_length=2, max_length=200)]
    phone: Annotated[Text, Field(min_length=1, max_length=30)]
    id_last4: Annotated[str, Field(pattern=r"^(\d{4})?$")] = Field(
        "", description="Last 4 digits of the recipient's ID card: the postman checks them"
    )
    address: Annotated[Text, Field(min_length=3, max_length=300)] = Field(
        description="Street line: house number, street, hamlet"
    )
    commune_code: Annotated[str, Field(pattern=r"^\d{5}$")]
    latitude: Annotated[float | None, Field(ge=-90, le=90)] = None
    longitude: Annotated[float | None, Field(ge=-180, le=180)] = None


class OrderIn(Schema):
    kind: Literal["result", "originals"] = Field(
        "result",
        description="result: deliver the result to the recipient; originals: collect the "
        "citizen's originals and carry them to the agency",
    )
    dossier_code: Annotated[str, Field(min_length=1, max_length=60)] = Field(
        description="The dossier's code on the portal: <unit code>-YYMMDD-NNNN"
    )
    procedure_code: Annotated[Text, Field(min_length=1, max_length=30)]
    documents: Annotated[list[OrderDocumentIn], Field(min_length=1, max_length=30)]
    recipient: RecipientIn
    cod_amount: Annotated[int, Field(ge=0, le=100_000_000)] = Field(
        0, description="VND the postman collects on delivery, remitted to the agency"
    )
    note: Annotated[Text, Field(max_length=300)] = ""


class CancelIn(Schema):
    reason: Annotated[Text, Field(max_length=300)] = ""


class OrderEventOut(Schema):
    id: int = Field(description="The same id in the webhook: a repeat carries it again")
    at: datetime
    action: str
    label: str
    from_status: str
    to_status: str
    note: str
    reason_code: str
    action_code: str


class OrderOut(Schema):
    code: str
    kind: str
    status: str
    status_label: str
    dossier_code: str
    procedure_code: str
    item_id: str = Field(description="The S10 item: tracked at /api/v1/track/{item_id}")
    service_point: str
    recipient_name: str
    cod_amount: int
    cod_collected: int
    created_at: datetime
    updated_at: datetime
    delivered_to: str | None
    delivered_at: datetime | None
    signed: bool | None
    events: list[OrderEventOut]


def _via(credential: Credential) -> str:
    """The credential that asked, short enough for the order's record: `api:<key prefix>`."""
    return f"{credential.kind}:{credential.label}"[:40]


def _refused(request, exc: OrderError) -> HttpResponse:
    return problem(request, STATUS_OF.get(exc.code, 422), str(exc), code=exc.code)


def _order(request, code: str) -> PostalOrder:
    credential: Credential = request.auth
    order = (
        PostalOrder.objects.filter(agency_id=credential.agency_id, code=code.upper())
        .select_related("procedure", "service_point")
        .first()
    )
    if order is None:
        raise HttpError(404, _("No such order."))
    return order


def _out(order: PostalOrder) -> dict:
    return {**order_out(order), "events": [order_event_out(e) for e in order.events.all()]}


@router.post(
    "/orders",
    response={201: OrderOut},
    summary="Order a result delivery or a collection of originals",
)
@decorate_view(idempotent)
def post_order(request, payload: OrderIn):
    """The post collects the result from the agency on its next return trip and delivers
    it against proof (collecting `cod_amount`), or collects the originals from the citizen
    and carries them to the agency. Refused with a problem whose `code` is one of
    `unknown_dossier`, `already_delivered`, `already_ordered` (409, an order is in
    progress), `invalid`, `portal_unavailable`."""
    require_scope(request, WRITE)
    credential: Credential = request.auth
    recipient = payload.recipient
    try:
        order = create_order(
            credential.agency_id,
            OrderRequest(
                kind=payload.kind,
                portal_code=payload.dossier_code,
                procedure_code=payload.procedure_code,
                documents=[d.dict() for d in payload.documents],
                recipient_name=recipient.name,
                recipient_phone=recipient.phone,
                recipient_id_last4=recipient.id_last4,
                address=recipient.address,
                commune_code=recipient.commune_code,
                latitude=recipient.latitude,
                longitude=recipient.longitude,
                cod_amount=payload.cod_amount,
                note=payload.note,
            ),
            via=_via(credential),
            request=request,
        )
    except OrderError as exc:
        return _refused(request, exc)
    return Status(201, _out(_order(request, order.code)))


@router.get("/orders/{code}", response=OrderOut, summary="One postal order with its steps")
def get_order(request, code: OrderCode):
    require_scope(request, READ)
    return _out(_order(request, code))


@router.get("/orders/{code}/events", response=list[OrderEventOut], summary="A postal order's steps")
def get_order_events(request, code: OrderCode):
    require_scope(request, READ)
    return [order_event_out(e) for e in _order(request, code).events.all()]


@router.post("/orders/{code}/cancel", response=OrderOut, summary="Cancel a postal order")
@decorate_view(idempotent)
def cancel_order(request, code: OrderCode, payload: CancelIn):
    """Only before the post has collected the result (or received the originals): 409
    after."""
    require_scope(request, WRITE)
    credential: Credential = request.auth
    order = _order(request, code)
    try:
        cancel(
            order.pk,
            agency_id=credential.agency_id,
            via=_via(credential),
            reason=payload.reason,
            request=request,
        )
    except OrderError as exc:
        return _refused(request, exc)
    return _out(_order(request, code))
