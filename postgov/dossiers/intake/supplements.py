"""The counter side of a supplement: the citizen brings the papers the agency asked for
(Form 02) to the post office that received the dossier; the clerk checks them against the
request, seals them as a new postal item and sends them to the agency on a manifest."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from postgov.delivery.actions import create_item
from postgov.delivery.models import PostalItem
from postgov.dossiers.actions import TransitionError, perform
from postgov.dossiers.models import Dossier


def supplement_request(dossier: Dossier):
    """The latest supplement request event (what the agency asked for)."""
    return dossier.events.filter(action="request_supplement").order_by("-at", "-id").first()


def seal_supplement(
    dossier_id: int, *, brought: list[str], pages: int, note: str = "", user, access, request=None
) -> tuple[Dossier, PostalItem]:
    brought = [line.strip()[:300] for line in brought if line and line.strip()]
    if not brought:
        raise TransitionError(_("Tick or list the papers the citizen brought."))
    if not 0 < pages <= 500:
        raise TransitionError(_("Give the number of pages (1–500)."))
    with transaction.atomic():
        holder: dict = {}

        def apply(dossier: Dossier) -> list[str]:
            holder["item"] = create_item(dossier, PostalItem.Leg.SUPPLEMENT)
            return []

        dossier, _event = perform(
            dossier_id,
            "seal_supplement",
            actor=user,
            access=access,
            request=request,
            note=note.strip()[:500],
            details={"brought": brought, "pages": pages},
            apply=apply,
        )
        item = holder["item"]
        # The event is written after apply: name the item on it through the audit trail.
        from postgov.audit.actions import record

        record(
            "dossier.supplement_item",
            actor=user,
            request=request,
            obj=dossier,
            service_point_id=dossier.receiving_point_id,
            details={"item": item.item_id},
        )
    return dossier, item
