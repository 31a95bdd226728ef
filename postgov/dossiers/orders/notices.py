"""SMS to the recipient of a postal order's result (decision 0016), as a counter dossier's
applicant gets them (`dossiers/citizen_notices.py`): the result is out for delivery, an
attempt failed (and what happens next), it waits at the post office, it was delivered.

Sent from the AFTER_ORDER_STEP hook, queued in the step's transaction, so nothing is sent
for a step that rolls back. The message names the portal's dossier code the citizen
knows and links to the tracking page on the order's code, which shows the postal steps
only (an order has no tracking token). Training makes no orders; were an order ever
practice work, `queue_message` drops any message about a record marked practice."""

from __future__ import annotations

from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone

from postgov.delivery.models import DeliveryAttempt
from postgov.dossiers.orders.models import OrderEvent, OrderKind, PostalOrder
from postgov.lib import tracking_links
from postgov.notify.actions import queue_message

NOTICE_ACTIONS = frozenset({"out_for_delivery", "delivery_failed", "hold", "deliver"})


def notify_recipient(order: PostalOrder, event: OrderEvent) -> None:
    if order.kind != OrderKind.RESULT_DELIVERY or not order.recipient_phone:
        return
    if event.action not in NOTICE_ACTIONS:
        return
    if event.action == "hold" and event.details.get("after_attempt"):
        # The failed attempt's message already said the result waits at the post office.
        return
    template = f"order_{event.action}"
    try:
        get_template(f"notify/{template}.sms.txt")
    except TemplateDoesNotExist:
        return
    reason = event.details.get("reason_code", "")
    context = {
        "order": order,
        "event": event,
        "code": order.portal_code,
        "point": order.service_point.name,
        "at": timezone.localtime(event.at),
        "url": tracking_links.tracking_url(order.code),
        "reason": (
            DeliveryAttempt.Reason(reason).label if reason in DeliveryAttempt.Reason.values else ""
        ),
        "next": event.details.get("action_code", ""),
    }
    queue_message("sms", order.recipient_phone, template, context, about=order)
