"""The demo's assistance tariff: loaded once, found again on the second load."""

from __future__ import annotations

from postgov.assisted import demo
from postgov.assisted.models import AssistanceTariff
from postgov.places.demo import load_demo as load_places


def test_the_demo_tariff_lets_a_quang_tri_clerk_charge_the_fee(db):
    load_places()
    assert demo.load_demo() == "1 assistance tariff"
    assert demo.load_demo() == "0 assistance tariff"
    tariff = AssistanceTariff.objects.get()
    assert tariff.province.code == "44" and tariff.amount == demo.AMOUNT
