"""Postal items: S10 identifiers, allocated on a locked per-indicator counter."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from postgov.delivery.models import ItemSerial, PostalItem
from postgov.lib.locking import locked_get_or_create
from postgov.lib.s10 import make_item_id


def next_item_id(service_indicator: str | None = None) -> str:
    indicator = service_indicator or settings.S10_SERVICE_INDICATOR
    with transaction.atomic():
        serial = locked_get_or_create(ItemSerial, service_indicator=indicator)
        serial.last_value += 1
        serial.save(update_fields=["last_value"])
    return make_item_id(indicator, serial.last_value, settings.S10_COUNTRY)


def create_item(dossier, leg: str, weight_g: int = 100) -> PostalItem:
    return PostalItem.objects.create(
        item_id=next_item_id(),
        dossier=dossier,
        province_id=dossier.province_id,
        leg=leg,
        weight_g=weight_g,
    )
