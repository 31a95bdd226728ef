"""Postal charges by weight and zone, and which tariff is in force."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from postgov.catalog.models import PostalTariff, TariffBand
from postgov.catalog.tariffs import TariffError, WeightOverLimit, postal_charge, tariff_in_force
from postgov.lib.money import format_vnd


@pytest.fixture
def tariff(world):
    tariff = PostalTariff.objects.create(
        name="Quảng Trị 2025",
        province=world.province,
        valid_from=date(2025, 7, 1),
        remittance_fee=8_000,
    )
    for weight, inside, outside in (
        (100, 26_000, 31_500),
        (250, 30_000, 37_000),
        (2_000, 55_000, 78_000),
    ):
        TariffBand.objects.create(tariff=tariff, zone="in", max_weight_g=weight, amount=inside)
        TariffBand.objects.create(tariff=tariff, zone="out", max_weight_g=weight, amount=outside)
    return tariff


@pytest.mark.parametrize(
    ("zone", "weight", "amount"),
    [
        ("in", 1, 26_000),
        ("in", 100, 26_000),
        ("in", 101, 30_000),
        ("in", Decimal("100.5"), 30_000),
        ("out", 100, 31_500),
        ("out", 250, 37_000),
        ("out", 251, 78_000),
        ("out", 2_000, 78_000),
    ],
)
def test_the_lightest_band_that_fits_is_charged(tariff, zone, weight, amount):
    assert postal_charge(tariff, zone, weight) == amount


def test_a_weight_over_the_last_band_is_a_clear_error(tariff):
    with translation.override("vi"), pytest.raises(WeightOverLimit) as raised:
        postal_charge(tariff, "in", 2_001)
    assert raised.value.limit_g == 2_000
    assert "vượt mức cao nhất của biểu cước (2.000 g)" in str(raised.value)
    assert "over the heaviest band" not in str(raised.value)  # the page's language only
    with translation.override("en"), pytest.raises(WeightOverLimit) as raised:
        postal_charge(tariff, "in", 2_001)
    assert "over the heaviest band of the tariff (2,000 g)" in str(raised.value)
    assert "vượt mức" not in str(raised.value)


@pytest.mark.parametrize("weight", [0, -5, True, "100", None, 1.5])
def test_a_weight_that_is_not_a_positive_number_is_refused(tariff, weight):
    with pytest.raises(TariffError):
        postal_charge(tariff, "in", weight)


def test_an_unknown_zone_or_a_zone_without_bands_is_refused(tariff):
    with pytest.raises(TariffError):
        postal_charge(tariff, "abroad", 10)
    tariff.bands.filter(zone="out").delete()
    with translation.override("en"), pytest.raises(TariffError) as raised:
        postal_charge(tariff, "out", 10)
    assert "no bands for this zone" in str(raised.value)


def test_tariff_in_force_prefers_the_province_then_the_newest(tariff, world):
    national = PostalTariff.objects.create(
        name="Toàn quốc", valid_from=date(2020, 1, 1), remittance_fee=10_000
    )
    newer = PostalTariff.objects.create(
        name="Quảng Trị 2026",
        province=world.province,
        valid_from=date(2026, 1, 1),
        remittance_fee=9_000,
    )
    assert tariff_in_force(world.province, date(2025, 6, 30)) == national
    assert tariff_in_force(world.province, date(2025, 7, 1)) == tariff
    assert tariff_in_force(world.province, date(2026, 1, 1)) == newer
    assert tariff_in_force(None, date(2026, 1, 1)) == national
    assert tariff_in_force(world.province, date(2019, 1, 1)) is None


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (26_000, "26.000 ₫"),
        (0, "0 ₫"),
        (1_234_567, "1.234.567 ₫"),
        (-1_500, "-1.500 ₫"),
        (Decimal("999.6"), "1.000 ₫"),
        (None, ""),
    ],
)
def test_amounts_are_written_the_vietnamese_way(amount, text):
    assert format_vnd(amount) == text
