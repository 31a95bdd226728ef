"""The demo catalog (common procedures), a Quảng Trị postal tariff and the categories of
people exempt from postal charges.

The procedures come from data/demo_catalog.json through the same importer provincial
admins use, so the demo also proves the import path. Running this twice changes nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.db import transaction

from postgov.audit.actions import record
from postgov.catalog.actions import import_catalog_file
from postgov.catalog.models import ExemptCategory, PostalTariff, TariffBand
from postgov.places.models import Province

DEMO_CATALOG = Path(__file__).parent / "data" / "demo_catalog.json"
DEMO_PROVINCE_CODE = "44"
DEMO_TARIFF_NAME = "Cước chuyển phát hồ sơ, kết quả giải quyết TTHC — Quảng Trị (mẫu)"
DEMO_TARIFF_FROM = date(2025, 7, 1)
DEMO_REMITTANCE_FEE = 8_000
# (up to grams, within the province, outside the province), VND one way. The ≤100 g line
# is the published example (docs/domain.md §2); the heavier bands are plausible demo values.
DEMO_BANDS: tuple[tuple[int, int, int], ...] = (
    (100, 26_000, 31_500),
    (250, 30_000, 37_000),
    (500, 35_000, 45_000),
    (1_000, 42_000, 58_000),
    (2_000, 55_000, 78_000),
)
EXEMPT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    (
        "NGUOI_CO_CONG",
        "Người có công với cách mạng",
        "Pháp lệnh Ưu đãi người có công với cách mạng số 02/2020/UBTVQH14; "
        "nghị quyết của HĐND tỉnh về hỗ trợ cước dịch vụ bưu chính công ích",
    ),
    (
        "HO_NGHEO",
        "Thành viên hộ nghèo, hộ cận nghèo",
        "Nghị định số 07/2021/NĐ-CP quy định chuẩn nghèo đa chiều; "
        "nghị quyết của HĐND tỉnh về hỗ trợ cước",
    ),
    (
        "KHUYET_TAT_NANG",
        "Người khuyết tật nặng, đặc biệt nặng",
        "Luật Người khuyết tật số 51/2010/QH12; Nghị định số 28/2012/NĐ-CP",
    ),
    (
        "CAO_TUOI_NEO_DON",
        "Người cao tuổi neo đơn",
        "Luật Người cao tuổi số 39/2009/QH12; Nghị định số 20/2021/NĐ-CP",
    ),
    (
        "BAO_TRO_XA_HOI",
        "Trẻ em mồ côi và đối tượng bảo trợ xã hội hưởng trợ cấp hằng tháng",
        "Nghị định số 20/2021/NĐ-CP về chính sách trợ giúp xã hội",
    ),
)


def load_demo_catalog() -> str:
    plan = import_catalog_file(DEMO_CATALOG.read_bytes(), "json", is_demo=True, source="demo")
    counts = plan.counts()
    return (
        f"{counts['procedures']} procedures ({counts['new']} new, {counts['changed']} changed, "
        f"{counts['new_versions']} new versions)"
    )


def load_demo_tariff() -> str:
    province = Province.objects.get(code=DEMO_PROVINCE_CODE)
    tariff, created = PostalTariff.objects.get_or_create(
        province=province,
        valid_from=DEMO_TARIFF_FROM,
        defaults={
            "name": DEMO_TARIFF_NAME,
            "remittance_fee": DEMO_REMITTANCE_FEE,
            "is_demo": True,
        },
    )
    bands = 0
    for max_weight_g, inside, outside in DEMO_BANDS:
        for zone, amount in (
            (TariffBand.Zone.IN_PROVINCE, inside),
            (TariffBand.Zone.OUT_OF_PROVINCE, outside),
        ):
            _, new = TariffBand.objects.get_or_create(
                tariff=tariff, zone=zone, max_weight_g=max_weight_g, defaults={"amount": amount}
            )
            bands += new
    if created or bands:
        record(
            "catalog.demo_tariff_loaded",
            obj=tariff,
            details={"province": DEMO_PROVINCE_CODE, "bands_created": bands},
        )
    return f"tariff {'created' if created else 'already there'}"


def load_demo_exempt_categories() -> int:
    created = 0
    for code, name, legal_basis in EXEMPT_CATEGORIES:
        category, new = ExemptCategory.objects.get_or_create(
            code=code, defaults={"name": name, "legal_basis": legal_basis}
        )
        if new:
            created += 1
            record("catalog.exempt_category_created", obj=category, details={"code": code})
    return created


@transaction.atomic
def load_demo() -> str:
    catalog = load_demo_catalog()
    tariff = load_demo_tariff()
    exempt = load_demo_exempt_categories()
    return f"{catalog}; {tariff}; {exempt} exempt categories created"
