"""SMS to the citizen at the steps of the agency and return legs that concern them, and
at hand-over an e-mail carrying the receipt and appointment slip (Form 01) as a PDF.

Sent from an AFTER_TRANSITION hook, so a step done on a page, through the agency API or by
the system notifies the same way; queued in the step's transaction (never sent for a step
that rolls back). Only the steps with a template here are sent: the counter's own notices
(sealing) belong to the intake. The Form 01 PDF is rendered by a task queued in the same
transaction, so a hand-over of a whole manifest does not wait for dozens of PDFs.
Each message links to the tracking page with the dossier's token, so one tap shows the
citizen their whole dossier.
"""

from __future__ import annotations

from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone
from django_tasks import task

from postgov.dossiers.agency.official_forms import render_event_form
from postgov.dossiers.models import Dossier, DossierEvent
from postgov.dossiers.workflow import transition
from postgov.lib import tracking_links
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
        # Parts of a linked package (decision 0024).
        "start_part",
        "close_unprocessed",
    }
)


def notify_citizen(dossier: Dossier, event: DossierEvent) -> None:
    if event.action == "hand_over" and dossier.applicant_email:
        email_receipt.enqueue(dossier.pk, event.pk)
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
        "agency": dossier.agency.short_name or dossier.agency.name if dossier.agency else "",
        "at": local(event.at),
        "due": local(dossier.due_at) if dossier.due_at else None,
        "url": tracking_links.link(dossier.code or "", dossier.pk),
        "label": transition(event.action).label,
    }
    queue_message("sms", dossier.applicant_phone, template, context, about=dossier)


@task(queue_name="notify")
def email_receipt(dossier_id: int, event_id: int) -> str:
    """E-mail the applicant the Form 01 of the hand-over (receipt and appointment slip)."""
    dossier = (
        Dossier.objects.select_related("agency", "procedure_version__procedure")
        .filter(pk=dossier_id)
        .first()
    )
    event = DossierEvent.objects.filter(pk=event_id, dossier_id=dossier_id).first()
    if dossier is None or event is None or not dossier.applicant_email:
        return "nothing to send"
    name, pdf = render_event_form(dossier, event)
    local = timezone.localtime
    context = {
        "code": dossier.code or "",
        "procedure": dossier.procedure_version.procedure.name,
        "agency": dossier.agency.name if dossier.agency else "",
        "at": local(event.at),
        "due": local(dossier.due_at) if dossier.due_at else None,
        "url": tracking_links.link(dossier.code or "", dossier.pk),
    }
    queue_message(
        "email",
        dossier.applicant_email,
        "dossier_hand_over",
        context,
        about=dossier,
        attachments=[(name, pdf, "application/pdf")],
    )
    return "queued"
