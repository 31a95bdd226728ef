"""How the audit trail finds the post's events by a code typed into its search box."""

from __future__ import annotations

from collections.abc import Iterator

from postgov.delivery.models import Manifest, PickupBooking


def delivery_coded(codes: frozenset[str]) -> Iterator[tuple[str, object]]:
    """A pickup booking or a manifest by its code."""
    for model in (PickupBooking, Manifest):
        pk = model.objects.filter(code__in=codes).values_list("pk", flat=True).first()
        if pk:
            yield model._meta.label_lower, pk
