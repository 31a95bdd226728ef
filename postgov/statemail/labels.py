"""The audit trail's words for this app's steps and codes (registered in `ready`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from postgov.statemail.models import Level

STEP_LABELS = {
    "clearance_granted": _("State mail clearance granted"),
    "clearance_revoked": _("State mail clearance revoked"),
    "refused": _("State mail: refused for want of clearance"),
    "accepted": _("State mail item accepted"),
    "offered": _("State mail item offered for hand-over"),
    "offer_withdrawn": _("State mail hand-over withdrawn before the taker signed"),
    "handed_over": _("State mail item handed over"),
    "seal_failed": _("State mail seal check failed, incident opened"),
    "incident_closed": _("State mail incident closed"),
    "delivered": _("State mail item delivered"),
    "viewed": _("State mail item viewed"),
    "listed": _("State mail items listed"),
    "book_printed": _("State mail delivery book printed"),
}
LEVEL_LABELS = dict(Level.choices)
