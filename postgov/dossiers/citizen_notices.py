"""SMS to the citizen at the steps of the agency and return legs that concern them.

Sent from an AFTER_TRANSITION hook, so a step done on a page, through the agency API or by
the system notifies the same way; queued in the step's transaction (never sent for a step
that rolls back). Only the steps with a template here are sent: the counter's own notices
(sealing) belong to the intake.
"""

from __future__ import annotations

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from postgov.dossiers.models import Dossier, DossierEvent
from postgov.dossiers.workflow import transition
from postgov.notify.actions import queue_message

NOTICE_ACTIONS = frozenset(
    {
        "hand_over",
        "request_supplement",
        "seal_supplement",
        "refuse",
        "request_payment",
        "extend",
        "stop",
        "withdraw",
        "result_ready",
        "deliver_at_agency",
        "out_for_delivery",
        "delivery_failed",
        "hold_at_office",
        "deliver",
    }
)


def tracking_url() -> str:
    try:
        return settings.SITE_URL + reverse("dossiers:track")
    except NoReverseMatch:
        return settings.SITE_URL + "/"


def notify_citizen(dossier: Dossier, event: DossierEvent) -> None:
    if event.action not in NOTICE_ACTIONS or not dossier.applicant_phone:
        return
    template = f"dossier_{event.action}"
    try:
        get_template(f"notify/{template}.sms.txt")
    except TemplateDoesNotExist:
        return
    local = timezone.localtime
    context = {
        "dossier": dossier,
        "event": event,
        "code": dossier.code or "",
        "agency": dossier.agency.short_name or dossier.agency.name if dossier.agency_id else "",
        "at": local(event.at),
        "due": local(dossier.due_at) if dossier.due_at else None,
        "url": tracking_url(),
        "label": transition(event.action).label,
    }
    queue_message("sms", dossier.applicant_phone, template, context, about=dossier)
