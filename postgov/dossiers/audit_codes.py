"""How the audit trail finds a dossier's events by a code typed into its search box."""

from __future__ import annotations

from collections.abc import Iterator

from postgov.delivery.models import PickupBooking
from postgov.dossiers.models import Dossier


def dossier_coded(codes: frozenset[str]) -> Iterator[tuple[str, object]]:
    """A dossier by its code or one of its postal items' numbers, with its pickup booking
    (the events of the visit that collected it)."""
    dossier = (
        Dossier.objects.filter(code__in=codes).values("pk", "pickup_id").first()
        or Dossier.objects.filter(items__item_id__in=codes).values("pk", "pickup_id").first()
    )
    if dossier:
        yield Dossier._meta.label_lower, dossier["pk"]
        if dossier["pickup_id"]:
            yield PickupBooking._meta.label_lower, dossier["pickup_id"]
