"""Postal charges for carrying dossiers and results (cước bưu chính).

A tariff has weight bands per zone (within / outside the province); an item pays the
charge of the lightest band it fits in. Amounts are whole VND.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import get_language

from postgov.catalog.models import PostalTariff, TariffBand
from postgov.lib.money import format_vnd


class TariffError(ValueError):
    """A charge that cannot be computed. The message is shown to the clerk as is, in the
    language active when it is raised."""

    def __init__(self, vi: str, en: str):
        self.vi, self.en = vi, en
        super().__init__(en if get_language() == "en" else vi)


class WeightOverLimit(TariffError):
    def __init__(self, weight_g: int | Decimal, limit_g: int):
        self.weight_g, self.limit_g = weight_g, limit_g
        super().__init__(
            f"bưu gửi nặng {_grams(weight_g)} g, vượt mức cao nhất của biểu cước "
            f"({_grams(limit_g)} g); hãy chia thành nhiều bưu gửi",
            f"the item weighs {weight_g:,} g, over the heaviest band of the tariff "
            f"({limit_g:,} g); split it into several items",
        )


def _grams(value: int | Decimal) -> str:
    return format_vnd(value, symbol=False)


def tariff_in_force(province, on_date: date | None = None) -> PostalTariff | None:
    """The tariff valid on `on_date` (today when omitted) for `province`: the province's
    own tariff with the latest start date, else the nationwide one (no province)."""
    on = on_date or timezone.localdate()
    valid = PostalTariff.objects.filter(valid_from__lte=on).order_by("-valid_from", "-pk")
    if province is not None:
        own = valid.filter(province=province).first()
        if own is not None:
            return own
    return valid.filter(province__isnull=True).first()


def postal_charge(tariff: PostalTariff, zone: str, weight_g: int | Decimal) -> int:
    """The one-way charge in VND for an item of `weight_g` grams in `zone` ("in" or "out"
    of the province). Raises `WeightOverLimit` above the heaviest band and `TariffError`
    for a zone the tariff does not cover or a weight that is not a positive number."""
    if zone not in TariffBand.Zone.values:
        raise TariffError(
            f"vùng “{zone}” không hợp lệ (dùng “in” hoặc “out”)",
            f"unknown zone “{zone}” (use “in” or “out”)",
        )
    if isinstance(weight_g, bool) or not isinstance(weight_g, int | Decimal) or weight_g <= 0:
        raise TariffError(
            "khối lượng phải là số gam dương", "the weight must be a positive number of grams"
        )
    bands = sorted(
        (band for band in tariff.bands.all() if band.zone == zone), key=lambda b: b.max_weight_g
    )
    if not bands:
        raise TariffError(
            f"biểu cước “{tariff.name}” không có mức cước cho vùng này",
            f"the tariff “{tariff.name}” has no bands for this zone",
        )
    for band in bands:
        if weight_g <= band.max_weight_g:
            return band.amount
    raise WeightOverLimit(weight_g, bands[-1].max_weight_g)
