"""The catalog in Django's admin: a province's tariff is edited by its administrators; the
national catalog (procedures, versions, exempt categories) by national administrators; a
published version is read-only and a new one is published through the action."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.catalog.models import ExemptCategory, PostalTariff, ProcedureVersion


@pytest.mark.parametrize(
    ("url_name", "provincial"),
    [
        ("admin:catalog_postaltariff_changelist", 200),
        ("admin:catalog_postaltariff_add", 200),
        ("admin:catalog_exemptcategory_changelist", 200),  # read, not changed
        ("admin:catalog_exemptcategory_add", 403),
        ("admin:catalog_procedure_changelist", 200),  # read, not changed
        ("admin:catalog_procedureversion_changelist", 200),
        ("admin:catalog_procedureversion_add", 403),
        ("admin:catalog_catalogimport_changelist", 403),
    ],
)
def test_it_checks_access(client, demo_catalog, national_admin, url_name, provincial):
    url = reverse(url_name)
    client.force_login(demo_catalog.clerk_a)
    assert client.get(url).status_code == 302  # to the admin login
    client.force_login(demo_catalog.provincial_admin)
    assert client.get(url).status_code == provincial
    client.force_login(national_admin)
    assert client.get(url).status_code == 200


def test_a_provincial_admin_edits_the_tariff(client, demo_catalog):
    client.force_login(demo_catalog.provincial_admin)
    tariff = PostalTariff.objects.get()
    url = reverse("admin:catalog_postaltariff_change", args=[tariff.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: form.initial.get(name, "") for name in ("name", "province", "valid_from", "is_demo")
    }
    data.update(valid_from="2025-07-01", remittance_fee="9000", province=tariff.province_id)
    data.update(
        {
            "bands-TOTAL_FORMS": "0",
            "bands-INITIAL_FORMS": "0",
            "bands-MIN_NUM_FORMS": "0",
            "bands-MAX_NUM_FORMS": "1000",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    tariff.refresh_from_db()
    assert tariff.remittance_fee == 9000
    assert AuditEvent.objects.filter(action="admin.change", object_type="catalog.postaltariff")


def test_a_national_admin_adds_an_exempt_category(client, national_admin):
    client.force_login(national_admin)
    response = client.post(
        reverse("admin:catalog_exemptcategory_add"),
        {
            "code": "THUONG_BINH",
            "name": "Thương binh",
            "legal_basis": "Pháp lệnh 02/2020",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert ExemptCategory.objects.filter(code="THUONG_BINH").exists()


def test_a_published_version_is_read_only(client, demo_catalog):
    client.force_login(demo_catalog.provincial_admin)
    version = ProcedureVersion.objects.filter(procedure__code="1.001193").first()
    url = reverse("admin:catalog_procedureversion_change", args=[version.pk])
    page = client.get(url).content.decode()
    assert 'name="processing_time"' not in page  # shown, not editable
    client.post(url, {"processing_time": "9"})
    version.refresh_from_db()
    assert version.processing_time != 9


def version_form(procedure_pk: int, **overrides) -> dict:
    data = {
        "procedure": procedure_pk,
        "effective_from": "2026-01-01",
        "processing_time": "2",
        "time_unit": "working_days",
        "postal_allowed": "on",
        "postal_check_allowed": "on",
        "result_type": "Giấy khai sinh",
        "online_level": "full",
        "documents-TOTAL_FORMS": "1",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "1000",
        "documents-0-position": "1",
        "documents-0-name": "Tờ khai",
        "documents-0-form": "original",
        "documents-0-quantity": "1",
        "documents-0-mandatory": "on",
        "fees-TOTAL_FORMS": "0",
        "fees-INITIAL_FORMS": "0",
        "fees-MIN_NUM_FORMS": "0",
        "fees-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_adding_a_version_in_the_admin_publishes_it(client, demo_catalog, national_admin):
    client.force_login(national_admin)
    birth = ProcedureVersion.objects.filter(procedure__code="1.001193").first().procedure
    response = client.post(reverse("admin:catalog_procedureversion_add"), version_form(birth.pk))
    assert response.status_code == 302
    new = birth.versions.get(version=3)
    assert new.documents.get().name == "Tờ khai"
    assert birth.versions.get(version=2).effective_to == date(2025, 12, 31)
    assert AuditEvent.objects.filter(action="catalog.version_published", details__source="admin")


def test_the_admin_refuses_a_back_dated_version_and_keeps_the_form(
    client, demo_catalog, national_admin
):
    client.force_login(national_admin)
    birth = ProcedureVersion.objects.filter(procedure__code="1.001193").first().procedure
    response = client.post(
        reverse("admin:catalog_procedureversion_add"),
        version_form(birth.pk, effective_from="2020-01-01", postal_allowed=""),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"effective_from", "postal_exclusion_reason"}
    assert 'value="Giấy khai sinh"' in response.content.decode()
    assert birth.versions.count() == 2
