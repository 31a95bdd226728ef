"""The demo's assistance tariff for Quảng Trị, so a clerk of the demo can charge the fee of
an assisted session. Idempotent: found by its province and date."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from postgov.assisted.models import AssistanceTariff
from postgov.places.models import Province

VALID_FROM = date(2025, 7, 1)
AMOUNT = 20_000  # VND per session


@transaction.atomic
def load_demo() -> str:
    province = Province.objects.filter(code="44").first()
    if province is None:
        return "no province"
    _tariff, made = AssistanceTariff.objects.get_or_create(
        province=province,
        valid_from=VALID_FROM,
        defaults={"name": "Phí hỗ trợ nộp hồ sơ trực tuyến", "amount": AMOUNT},
    )
    return f"{int(made)} assistance tariff"
