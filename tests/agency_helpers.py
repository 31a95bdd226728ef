"""Builders for the agency and return legs: dossiers as the counter leaves them (sealed,
paid, with their postal item) and moved along the workflow by the real actions."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from postgov.delivery.actions import create_item
from postgov.delivery.models import PostalItem
from postgov.dossiers.actions import perform
from postgov.dossiers.workflow import State
from postgov.identity.access import Access
from postgov.lib.workingtime import VIETNAM
from tests.factories import make_dossier

_counter = {"n": 0}


def at(text: str) -> datetime:
    """'2026-11-30 10:00' in Vietnam time."""
    return datetime.fromisoformat(text).replace(tzinfo=VIETNAM)


def sealed(world, *, fee: int = 50_000, agency=None, point=None, **fields):
    """A dossier sealed at point A (or `point`) for agency A (or `agency`), paid, with its
    outbound postal item."""
    _counter["n"] += 1
    agency = agency or world.agency_a
    now = timezone.now()
    dossier = make_dossier(
        world,
        status=State.SEALED,
        agency=agency,
        point=point,
        code=f"{agency.unit_code}-261130-{_counter['n']:04d}",
        procedure_fee=fee,
        postage_out=26_000,
        postage_back=26_000,
        remittance_fee=8_000 if fee else 0,
        total_due=fee + 52_000 + (8_000 if fee else 0),
        paid_at=now,
        sealed_at=now,
        payment_method="cash",
        receipt_number=f"R{_counter['n']:06d}",
        **fields,
    )
    create_item(dossier, PostalItem.Leg.OUTBOUND)
    return dossier


def move(dossier, action: str, user, **kwargs):
    dossier, _ = perform(dossier.pk, action, actor=user, access=Access.for_user(user), **kwargs)
    return dossier


def handed_over(world, when: datetime | None = None, **fields):
    """Sealed, dispatched by the postman and handed over to agency A at `when`."""
    dossier = sealed(world, **fields)
    dossier = move(dossier, "dispatch", world.postman_a)
    return move(dossier, "hand_over", world.agency_receiver, at=when)


def outbound_item(dossier) -> PostalItem:
    return dossier.items.filter(leg=PostalItem.Leg.OUTBOUND).get()
