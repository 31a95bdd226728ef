"""The demo catalog, tariff and exempt categories."""

from __future__ import annotations

import pytest

from postgov.audit.models import AuditEvent
from postgov.catalog.demo import load_demo
from postgov.catalog.models import (
    PROCEDURE_FIELDS,
    ExemptCategory,
    Fee,
    PostalTariff,
    Procedure,
    RequiredDocument,
)
from postgov.catalog.queries import version_in_force
from postgov.catalog.tariffs import postal_charge, tariff_in_force


def snapshot() -> tuple[int, ...]:
    return (
        Procedure.objects.count(),
        RequiredDocument.objects.count(),
        Fee.objects.count(),
        PostalTariff.objects.count(),
        ExemptCategory.objects.count(),
    )


def test_the_demo_loads_at_least_25_procedures_all_in_force_and_flagged(demo_catalog):
    procedures = Procedure.objects.all()
    assert procedures.count() >= 25
    assert all(p.is_demo for p in procedures)
    assert set(procedures.values_list("field", flat=True)) == set(PROCEDURE_FIELDS)
    for procedure in procedures:
        version = version_in_force(procedure)
        assert version is not None, procedure.code
        assert version.documents.exists(), procedure.code
        assert version.postal_allowed or version.postal_exclusion_reason, procedure.code


def test_loading_the_demo_twice_changes_nothing(demo_catalog):
    before, events = snapshot(), AuditEvent.objects.count()
    summary = load_demo()
    assert snapshot() == before
    # Only the (empty) import is recorded.
    assert AuditEvent.objects.count() == events + 1
    assert "0 new" in summary and "already there" in summary


@pytest.mark.parametrize(
    ("name", "field", "level", "postal_allowed"),
    [
        ("Đăng ký khai sinh", "Hộ tịch", "commune", True),
        ("Đăng ký kết hôn", "Hộ tịch", "commune", False),
        ("Cấp hộ chiếu phổ thông lần đầu", "Xuất nhập cảnh", "central", False),
        ("Cấp lại hộ chiếu phổ thông", "Xuất nhập cảnh", "central", True),
        ("Đổi giấy phép lái xe", "Đường bộ", "province", True),
        ("Cấp Phiếu lý lịch tư pháp số 2", "Lý lịch tư pháp", "province", True),
        ("Giải quyết hưởng bảo hiểm xã hội một lần", "Bảo hiểm xã hội", "central", True),
    ],
)
def test_key_procedures_are_as_the_rules_say(demo_catalog, name, field, level, postal_allowed):
    procedure = Procedure.objects.get(name=name)
    assert (procedure.field, procedure.agency_level) == (field, level)
    assert version_in_force(procedure).postal_allowed is postal_allowed


def test_fees_with_options_and_working_hours(demo_catalog):
    passport = version_in_force(Procedure.objects.get(name="Cấp lại hộ chiếu phổ thông"))
    assert sorted(passport.fees.values_list("amount", "is_default")) == [
        (200_000, True),
        (400_000, False),
    ]
    copies = version_in_force(Procedure.objects.get(code="2.000908"))
    assert (copies.time_unit, copies.next_day_after_15h) == ("working_hours", True)
    birth = Procedure.objects.get(code="1.001193")
    assert birth.versions.count() == 2  # a previous version to show


def test_the_quang_tri_tariff_and_exempt_categories(demo_catalog):
    tariff = tariff_in_force(demo_catalog.province)
    assert tariff.is_demo and tariff.remittance_fee == 8_000
    assert postal_charge(tariff, "in", 100) == 26_000
    assert postal_charge(tariff, "out", 100) == 31_500
    assert postal_charge(tariff, "out", 2_000) > postal_charge(tariff, "out", 1_000)
    assert ExemptCategory.objects.filter(code="NGUOI_CO_CONG", active=True).exists()
    assert all(c.legal_basis for c in ExemptCategory.objects.all())
