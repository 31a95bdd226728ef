"""Postal orders for dossiers filed online (decision 0016): ordering, the post's steps,
cancelling. Every step locks the order, checks where it stands, writes an `OrderEvent`,
keeps the SLA legs, writes an audit event and tells the hooks (webhooks, the national
portal) in the same transaction.

`create_order` is a plain function: the agency API, the agency officer's page and a
counter that turns an assisted online session into a return-by-post order all call it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.agencies.models import Agency
from postgov.audit.actions import record
from postgov.catalog.models import Procedure
from postgov.delivery.actions import (
    SignatureMissing,
    Spot,
    check_recipient,
    next_item_ids,
    record_delivery,
    record_failed_attempt,
    serving_point,
)
from postgov.delivery.models import DeliveryAttempt, PostalItem, ProofOfDelivery
from postgov.dossiers.clock import Calendars
from postgov.dossiers.models import LegRecord
from postgov.dossiers.orders import workflow as flow
from postgov.dossiers.orders.models import OrderEvent, OrderKind, OrderStatus, PostalOrder
from postgov.identity.models import POINT_ROLES
from postgov.lib.hooks import Hooks
from postgov.lib.locking import lock_one
from postgov.lib.phones import PhoneError, normalise_mobile
from postgov.places.addresses import split_address
from postgov.places.models import Commune

if TYPE_CHECKING:
    from postgov.delivery.signatures import Unsigned
    from postgov.identity.access import Access
    from postgov.identity.models import User

# Called after every step, in its transaction: (order, event).
AFTER_ORDER_STEP: Hooks[Callable[[PostalOrder, OrderEvent], None]] = Hooks("orders.after_step")
# Asked before an order is taken: (agency, portal code) -> a refusal (code, message) or None.
# The exchange asks the national portal; without it only the post's own records are read.
DOSSIER_CHECKS: Hooks[Callable[[Agency, str], tuple[str, str] | None]] = Hooks(
    "orders.dossier_checks"
)

MAX_COD = 100_000_000
MAX_DOCUMENTS = 30
_PORTAL_CODE = re.compile(r"^([0-9A-Z.]{1,40})-(\d{6})-(\d{4,6})$")
_CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ACTIVE = [s for s in OrderStatus.values if s not in flow.FINAL_STATES]


class OrderError(Exception):
    """An order or a step that cannot be taken; `code` is stable for the API, the message
    is for the person or system that asked."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class OrderRequest:
    kind: str
    portal_code: str
    procedure_code: str
    recipient_name: str
    recipient_phone: str
    address: str
    commune_code: str
    documents: list[dict[str, Any]] = field(default_factory=list)
    recipient_id_last4: str = ""
    latitude: float | None = None
    longitude: float | None = None
    cod_amount: int = 0
    note: str = ""


@dataclass
class OrderProof:
    recipient_name: str
    id_last4: str
    relation: str
    relation_note: str = ""
    signature: bytes | None = None
    unsigned: Unsigned | None = None
    cod_collected: int = 0
    latitude: float | None = None
    longitude: float | None = None


def _new_code() -> str:
    return "DH" + "".join(secrets.choice(_CODE_LETTERS) for _ in range(8))


def _refuse(
    agency: Agency,
    code: str,
    message: str,
    *,
    portal_code: str,
    actor: User | None,
    via: str,
    request: HttpRequest | None,
) -> OrderError:
    """Keep the refusal in the audit trail (its own transaction: the caller's rolls back)
    and give the error to raise."""
    with transaction.atomic():
        record(
            "order.refused",
            request=request,
            actor=actor,
            object_type="dossiers.postalorder",
            object_id=portal_code[:60],
            agency_id=agency.pk,
            details={"reason": code, "dossier_code": portal_code[:60], "via": via},
        )
    return OrderError(code, message)


def _clean(agency: Agency, data: OrderRequest) -> dict[str, Any]:
    """The order's fields from the request, or OrderError("invalid", why)."""

    def invalid(message: str) -> OrderError:
        return OrderError("invalid", message)

    if data.kind not in OrderKind.values:
        raise invalid(_("Unknown kind of order."))
    portal_code = (data.portal_code or "").strip().upper()
    match = _PORTAL_CODE.match(portal_code)
    if match is None:
        raise OrderError(
            "unknown_dossier",
            _("“%(code)s” is not a dossier code (unit code-YYMMDD-number).")
            % {"code": portal_code[:60]},
        )
    if match.group(1) != agency.unit_code.upper():
        raise OrderError(
            "unknown_dossier",
            _("Dossier %(code)s was not received by this agency.") % {"code": portal_code},
        )
    procedure = Procedure.objects.filter(code=(data.procedure_code or "").strip()).first()
    if procedure is None:
        raise invalid(_("Unknown procedure code."))
    name = " ".join((data.recipient_name or "").split())[:200]
    if len(name) < 2:
        raise invalid(_("Write the recipient's full name."))
    try:
        phone = normalise_mobile(data.recipient_phone)
    except PhoneError as exc:
        raise invalid(str(exc)) from exc
    commune = (
        Commune.objects.select_related("province")
        .filter(code=(data.commune_code or "").strip())
        .first()
    )
    if commune is None:
        raise invalid(_("Unknown commune code."))
    if commune.province_id != agency.province_id:
        raise invalid(_("The post of this province delivers in this province only."))
    address = split_address((data.address or "").strip(), commune)[:300]
    if len(address) < 3:
        raise invalid(_("Write the street address (house number, street, hamlet)."))
    last4 = (data.recipient_id_last4 or "").strip()
    if last4 and not (len(last4) == 4 and last4.isdigit()):
        raise invalid(_("The last 4 digits of the ID card are four digits."))
    if not 0 <= int(data.cod_amount or 0) <= MAX_COD:
        raise invalid(_("The amount to collect is out of range."))
    documents = []
    for document in (data.documents or [])[:MAX_DOCUMENTS]:
        doc_name = " ".join(str(document.get("name", "")).split())[:300]
        if not doc_name:
            raise invalid(_("Every document needs a name."))
        documents.append(
            {
                "name": doc_name,
                "number": str(document.get("number", "") or "")[:60],
                "original": bool(document.get("original", True)),
            }
        )
    if not documents:
        raise invalid(_("List at least one document."))
    point = serving_point(commune)
    if point is None:
        raise invalid(_("No post office serves this commune."))
    latitude, longitude = data.latitude, data.longitude
    placed = latitude is not None and longitude is not None
    if not (placed and -90 <= latitude <= 90 and -180 <= longitude <= 180):  # type: ignore[operator]
        latitude = longitude = None
    return {
        "kind": data.kind,
        "portal_code": portal_code,
        "procedure": procedure,
        "recipient_name": name,
        "recipient_phone": phone,
        "recipient_id_last4": last4,
        "address": address,
        "commune": commune,
        "latitude": latitude,
        "longitude": longitude,
        "position_source": "pin" if latitude is not None else "",
        "service_point": point,
        "cod_amount": int(data.cod_amount or 0),
        "documents": documents,
        "note": " ".join((data.note or "").split())[:300],
    }


def _already(agency: Agency, kind: str, portal_code: str) -> tuple[str, str] | None:
    orders = PostalOrder.objects.filter(agency=agency, kind=kind, portal_code=portal_code)
    if kind == OrderKind.RESULT_DELIVERY and orders.filter(status=OrderStatus.DELIVERED).exists():
        return "already_delivered", _("The result of %(code)s was already delivered.") % {
            "code": portal_code
        }
    active = orders.filter(status__in=ACTIVE).first()
    if active is not None:
        return "already_ordered", _("%(code)s already has an order in progress (%(order)s).") % {
            "code": portal_code,
            "order": active.code,
        }
    return None


def create_order(
    agency_id: int,
    data: OrderRequest,
    *,
    actor: User | None = None,
    via: str = "",
    request: HttpRequest | None = None,
) -> PostalOrder:
    """Take an order for the post: the result of an online dossier to deliver, or its
    originals to collect. Refused (OrderError, audited) for a malformed request, a dossier
    unknown to the agency or the portal, a result already delivered or already ordered."""
    agency = Agency.objects.get(pk=agency_id)
    portal_code = (data.portal_code or "")[:60]
    try:
        fields = _clean(agency, data)
        verdict = _already(agency, fields["kind"], fields["portal_code"])
        for check in DOSSIER_CHECKS:
            verdict = verdict or check(agency, fields["portal_code"])
    except OrderError as exc:
        raise _refuse(
            agency,
            exc.code,
            str(exc),
            request=request,
            portal_code=portal_code,
            actor=actor,
            via=via,
        ) from exc
    if verdict is not None:
        raise _refuse(
            agency, *verdict, request=request, portal_code=portal_code, actor=actor, via=via
        )
    try:
        with transaction.atomic():
            order = PostalOrder.objects.create(
                code=_new_code(),
                province_id=agency.province_id,
                agency=agency,
                ordered_by=actor,
                ordered_via=via[:40],
                **fields,
            )
            leg = (
                PostalItem.Leg.RETURN
                if order.kind == OrderKind.RESULT_DELIVERY
                else PostalItem.Leg.OUTBOUND
            )
            PostalItem.objects.create(
                item_id=next_item_ids(1)[0], order=order, province_id=order.province_id, leg=leg
            )
            _write_step(order, "order", actor=actor, request=request, details={"via": via})
    except IntegrityError as exc:
        # Two orders for one dossier at the same moment: the database let one through.
        verdict = _already(agency, fields["kind"], fields["portal_code"])
        if verdict is None:
            raise
        raise _refuse(
            agency, *verdict, request=request, portal_code=portal_code, actor=actor, via=via
        ) from exc
    return order


def item_of(order: PostalOrder) -> PostalItem:
    return order.items.order_by("-created_at", "-id")[0]


def _write_step(
    order: PostalOrder,
    action: str,
    *,
    actor: User | None = None,
    request: HttpRequest | None = None,
    note: str = "",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
    point_id: int | None = None,
) -> OrderEvent:
    """Move a locked (or new) order by one step: its event, legs, audit and hooks."""
    step = flow.BY_ACTION[action]
    source = "" if action == "order" else order.status
    if source not in step.sources:
        raise OrderError(
            "wrong_state",
            _("Order %(code)s is “%(state)s”: this step is not possible now.")
            % {"code": order.code, "state": OrderStatus(order.status).label},
        )
    moment = at or timezone.now()
    order.status = step.target
    if step.target in flow.FINAL_STATES:
        order.closed_at = moment
    order.save(update_fields=["status", "closed_at", "updated_at"])
    event = OrderEvent.objects.create(
        order=order,
        at=moment,
        action=action,
        from_status=source,
        to_status=step.target,
        actor=actor,
        service_point_id=point_id,
        note=note[:300],
        details=details or {},
    )
    _track_legs(order, event)
    record(
        f"order.{action}",
        request=request,
        actor=actor,
        obj=order,
        agency_id=order.agency_id,
        service_point_id=point_id or order.service_point_id,
        details={
            "code": order.code,
            "dossier_code": order.portal_code,
            "from": source,
            "to": step.target,
            **(details or {}),
        },
    )
    for hook in AFTER_ORDER_STEP:
        hook(order, event)
    return event


def _track_legs(order: PostalOrder, event: OrderEvent) -> None:
    new = flow.order_segment_of(event.to_status)
    calendars = Calendars()
    calendar = calendars.for_post(order.province_id)
    still_open = None
    for leg in LegRecord.objects.filter(order=order, ended_at__isnull=True):
        if new is not None and leg.segment == new.name:
            still_open = leg
            continue
        leg.ended_at = event.at
        leg.late = leg.due_at is not None and event.at > leg.due_at
        leg.working_seconds = max(0, calendar.working_seconds_between(leg.started_at, event.at))
        leg.save(update_fields=["ended_at", "late", "working_seconds"])
    if new is None or still_open is not None:
        return
    LegRecord.objects.create(
        order=order,
        province_id=order.province_id,
        segment=new.name,
        leg=new.leg,
        service_point_id=order.service_point_id,
        started_at=event.at,
        due_at=calendar.due_in_working_days(
            event.at, new.working_days or 1, after_15h_next_day=False
        ),
    )


def step(
    order_id: int,
    action: str,
    *,
    actor: User | None = None,
    access: Access | None = None,
    request: HttpRequest | None = None,
    note: str = "",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> tuple[PostalOrder, OrderEvent]:
    """One of the post's steps on an order, by a person of the post office that serves it
    (`access`), or by the system (a manifest's step, already checked) when None."""
    with transaction.atomic():
        order = lock_one(PostalOrder, order_id)
        if access is not None and not access.can_act_at_point(order.service_point_id, *POINT_ROLES):
            raise OrderError("forbidden", _("This order is served by another post office."))
        event = _write_step(
            order,
            action,
            actor=actor,
            request=request,
            note=note,
            details=details,
            at=at,
            point_id=order.service_point_id,
        )
    return order, event


def cancel(
    order_id: int,
    *,
    agency_id: int,
    actor: User | None = None,
    via: str = "",
    reason: str = "",
    request: HttpRequest | None = None,
) -> PostalOrder:
    """The agency withdraws its order, until the post has collected what it carries."""
    with transaction.atomic():
        order = lock_one(PostalOrder, order_id)
        if order.agency_id != agency_id:
            raise OrderError("not_found", _("No such order."))
        if order.status != OrderStatus.ORDERED:
            raise OrderError(
                "wrong_state",
                _("Order %(code)s is already “%(state)s”: it can no longer be cancelled.")
                % {"code": order.code, "state": OrderStatus(order.status).label},
            )
        _write_step(
            order,
            "cancel",
            actor=actor,
            request=request,
            note=reason,
            details={"via": via},
        )
    return order


def failed_attempt(
    order_id: int,
    *,
    reason_code: str,
    action_code: str,
    note: str = "",
    user: User,
    access: Access,
    request: HttpRequest | None = None,
) -> DeliveryAttempt:
    if reason_code not in DeliveryAttempt.Reason.values:
        raise OrderError("invalid", _("Choose why the delivery failed."))
    if action_code not in DeliveryAttempt.Next.values:
        raise OrderError("invalid", _("Choose what happens next."))
    with transaction.atomic():
        order, event = step(
            order_id,
            "delivery_failed",
            actor=user,
            access=access,
            request=request,
            note=note,
            details={"reason_code": reason_code, "action_code": action_code},
        )
        attempt = record_failed_attempt(
            order=order,
            item=item_of(order),
            point_id=order.service_point_id,
            user=user,
            at=event.at,
            reason_code=reason_code,
            action_code=action_code,
            note=note,
        )
        if action_code == DeliveryAttempt.Next.HOLD:
            # The recipient hears of it once, in the failed attempt's message.
            step(
                order_id,
                "hold",
                actor=user,
                access=access,
                request=request,
                details={"after_attempt": True},
            )
        elif action_code == DeliveryAttempt.Next.RETURN:
            step(order_id, "return", actor=user, access=access, request=request, note=note)
    return attempt


def deliver(
    order_id: int,
    proof: OrderProof,
    *,
    user: User,
    access: Access,
    request: HttpRequest | None = None,
) -> ProofOfDelivery:
    """Hand the result over against the same proof as a counter dossier's: who took it,
    the last four digits of their card (checked when the agency gave the recipient's),
    their signature or why not; and the money collected on delivery, to the last đồng."""
    try:
        checked = check_recipient(proof)
    except SignatureMissing as exc:
        raise OrderError("invalid", str(exc)) from exc
    is_self, unsigned = checked.is_applicant, checked.unsigned
    with transaction.atomic():
        order = lock_one(PostalOrder, order_id)
        if is_self and order.recipient_id_last4 and order.recipient_id_last4 != proof.id_last4:
            raise OrderError(
                "invalid",
                _("These digits do not match the applicant's ID: check the card again."),
            )
        if proof.cod_collected != order.cod_amount:
            raise OrderError(
                "invalid",
                _("Collect %(amount)s VND before handing the result over.")
                % {"amount": f"{order.cod_amount:,}".replace(",", ".")},
            )
        at_counter = order.status == OrderStatus.HELD
        order, event = step(
            order_id,
            "deliver",
            actor=user,
            access=access,
            request=request,
            details={
                "relation": proof.relation,
                "signature": unsigned is None,
                "cod_collected": proof.cod_collected,
                "at_counter": at_counter,
            },
        )
        order.cod_collected = proof.cod_collected
        order.cod_collected_at = event.at if proof.cod_collected else None
        order.save(update_fields=["cod_collected", "cod_collected_at"])
        row = record_delivery(
            proof,
            checked,
            order=order,
            item=item_of(order),
            point_id=order.service_point_id,
            user=user,
            at=event.at,
            file_stem=order.code,
            at_counter=at_counter,
            spot=Spot(proof.latitude, proof.longitude),
            request=request,
        )
    return row


def receive_originals(
    order_id: int,
    handed: list[str],
    *,
    user: User,
    access: Access,
    request: HttpRequest | None = None,
) -> PostalOrder:
    """A clerk at the counter or a postman at the door takes the originals against the
    dossier code and writes down what was handed over."""
    names = [" ".join(name.split())[:300] for name in handed if name.strip()]
    if not names:
        raise OrderError("invalid", _("Tick or write the documents handed over."))
    order, _event = step(
        order_id,
        "receive_originals",
        actor=user,
        access=access,
        request=request,
        details={"handed": names},
    )
    return order


def visible_orders(access: Access) -> QuerySet[PostalOrder]:
    """The orders a person may see: those served by their post offices, those of their
    agencies, and (oversight) those of their provinces."""
    return access.scope(
        PostalOrder.objects.all(),
        point_field="service_point",
        agency_field="agency",
        province_field="province",
    )


def serving_orders(access: Access) -> QuerySet[PostalOrder]:
    """The orders a person of the post may see: those of their post offices."""
    return PostalOrder.objects.filter(service_point__in=access.point_ids(*POINT_ROLES))
