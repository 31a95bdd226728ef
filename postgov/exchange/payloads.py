"""What PostGov tells an agency's system about a dossier: the same dictionaries are the
agency API's answers and the data of the webhooks, so a receiver parses one shape."""

from __future__ import annotations

from postgov.dossiers.agency.actions import AGENCY_ACTIONS, FORM_OF_ACTION
from postgov.dossiers.clock import Calendars, deadline
from postgov.dossiers.models import Dossier, DossierEvent
from postgov.dossiers.orders.models import OrderEvent, OrderStatus, PostalOrder
from postgov.dossiers.orders.workflow import BY_ACTION as ORDER_STEPS
from postgov.dossiers.workflow import STATES, State, actions_from


def event_out(event: DossierEvent) -> dict:
    return {
        "id": event.pk,
        "at": event.at,
        "action": event.action,
        "code": event.code,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "national_status": event.national_status,
        "reason_code": event.reason_code,
        "action_code": event.action_code,
        "note": event.note,
        "form": FORM_OF_ACTION.get(event.action),
    }


def dossier_summary(dossier: Dossier, calendars: Calendars | None = None) -> dict:
    procedure = dossier.procedure_version.procedure
    info = deadline(dossier, calendars=calendars)
    return {
        "code": dossier.code or "",
        "status": dossier.status,
        "status_label": str(State(dossier.status).label),
        "national_status": STATES[dossier.status].national_status,
        "procedure_code": procedure.code,
        "procedure_name": procedure.name,
        "applicant_name": dossier.applicant_name,
        "receiving_point": dossier.receiving_point.code,
        "sealed_at": dossier.sealed_at,
        "submitted_at": dossier.submitted_at,
        "due_at": dossier.due_at,
        "first_due_at": dossier.first_due_at,
        "clock_paused": dossier.clock_paused_at is not None,
        "working_days_left": float(info.days_left) if info.days_left is not None else None,
        "deadline": info.standing or None,
        "agency_reference": dossier.agency_reference,
        "acknowledged_at": dossier.acknowledged_at,
        "updated_at": dossier.updated_at,
    }


def dossier_detail(dossier: Dossier) -> dict:
    return {
        **dossier_summary(dossier),
        "applicant_id_number": dossier.applicant_id_number,
        "applicant_birth_date": dossier.applicant_birth_date,
        "applicant_gender": dossier.applicant_gender,
        "applicant_phone": dossier.applicant_phone,
        "applicant_email": dossier.applicant_email,
        "applicant_address": dossier.applicant_address,
        "representative_name": dossier.representative_name,
        "return_method": dossier.return_method,
        "return_address": dossier.return_address,
        "procedure_fee": dossier.procedure_fee,
        "fees_handed_over": dossier.fees_handed_over,
        "documents": list(dossier.documents.all()),
        "items": list(dossier.items.all()),
        "results": list(dossier.result_documents.all()),
        "attachments": [
            {
                "id": a.pk,
                "event_id": a.event_id,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "url": f"/api/v1/agency/dossiers/{dossier.code}/attachments/{a.pk}",
            }
            for a in dossier.attachments.order_by("id")
        ],
        "events": [event_out(e) for e in dossier.events.order_by("at", "id")],
        "allowed_actions": [
            t.action for t in actions_from(dossier.status) if t.action in AGENCY_ACTIONS
        ],
    }


def order_event_out(event: OrderEvent) -> dict:
    """One step of a postal order; `id` tells a repeat from a new step."""
    return {
        "id": event.pk,
        "at": event.at,
        "action": event.action,
        "label": str(ORDER_STEPS[event.action].label),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "reason_code": str(event.details.get("reason_code", "")),
        "action_code": str(event.details.get("action_code", "")),
    }


def order_out(order: PostalOrder) -> dict:
    """A postal order as its agency sees it; the proof says who took the result, not
    their ID digits."""
    item = order.items.order_by("-created_at", "-id").first()
    proof = getattr(order, "proof", None)
    return {
        "code": order.code,
        "kind": order.kind,
        "status": order.status,
        "status_label": str(OrderStatus(order.status).label),
        "dossier_code": order.portal_code,
        "procedure_code": order.procedure.code,
        "item_id": item.item_id if item else "",
        "service_point": order.service_point.code,
        "recipient_name": order.recipient_name,
        "cod_amount": order.cod_amount,
        "cod_collected": order.cod_collected,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "delivered_to": proof.recipient_name if proof else None,
        "delivered_at": proof.at if proof else None,
        "signed": proof.signature_captured if proof else None,
    }
