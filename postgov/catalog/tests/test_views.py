"""The catalog pages: public browser and exports, and the national admins' import (the
catalog is national: a provincial administrator may not import it)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.catalog.exchange import export_csv
from postgov.catalog.models import CatalogImport, Procedure, ProcedureVersion
from postgov.catalog.tests.test_import_roundtrip import edit_csv

LIST = reverse("catalog:procedures")
IMPORT = reverse("catalog:import")


def detail(code: str) -> str:
    return reverse("catalog:procedure", args=[code])


# -- the public browser --------------------------------------------------------------------


def test_list_renders_for_anonymous_with_postal_flags(client, demo_catalog):
    response = client.get(LIST)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Đăng ký khai sinh" in body
    assert 'href="/catalog/1.001193/"' in body
    assert "badge text-bg-secondary" in body  # a procedure excluded from the post


def test_search_keeps_the_query_and_finds_without_diacritics(client, demo_catalog):
    response = client.get(LIST, {"q": "dang ky khai sinh"})
    body = response.content.decode()
    assert 'value="dang ky khai sinh"' in body
    assert "Đăng ký khai sinh" in body
    assert "Đăng ký kết hôn" not in body


def test_filters_by_field_level_and_post(client, demo_catalog):
    body = client.get(LIST, {"field": "Xuất nhập cảnh", "postal": "no"}).content.decode()
    assert "Cấp hộ chiếu phổ thông lần đầu" in body
    assert "Cấp lại hộ chiếu phổ thông" not in body
    body = client.get(LIST, {"level": "province", "q": "lai xe"}).content.decode()
    assert "Đổi giấy phép lái xe" in body and "Đăng ký khai sinh" not in body


def test_an_invalid_filter_is_explained_and_the_others_still_apply(client, demo_catalog):
    response = client.get(LIST, {"level": "district", "q": "khai sinh", "page": "x"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' in body
    assert "Đăng ký khai sinh" in body and "Đăng ký kết hôn" not in body


def test_the_list_is_paginated(client, demo_catalog):
    first = client.get(LIST).content.decode()
    second = client.get(LIST, {"page": 2}).content.decode()
    assert "?page=2" in first
    assert Procedure.objects.count() > 20
    assert "Xây dựng" in first + second
    assert client.get(LIST, {"page": 999}).status_code == 200


def test_htmx_gets_only_the_results(client, demo_catalog):
    response = client.get(LIST, {"q": "khai"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and "Đăng ký khai tử" in body
    assert "HX-Request" in response["Vary"]


def test_detail_shows_the_version_in_force(client, demo_catalog):
    response = client.get(detail("2.000908"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Bản chính giấy tờ, văn bản cần chứng thực bản sao" in body
    assert "2.000 ₫" in body and "1.000 ₫" in body
    assert "15:00" in body  # the after-15:00 rule
    assert "working hours" in body or "giờ làm việc" in body


def test_detail_shows_the_exclusion_reason_and_legal_basis(client, demo_catalog):
    body = client.get(detail("1.000894")).content.decode()
    assert "Hai bên nam, nữ phải cùng có mặt" in body
    assert "<li>Luật Hộ tịch số 60/2014/QH13</li>" in body


def test_detail_lists_previous_versions_and_shows_one_on_request(client, demo_catalog):
    body = client.get(detail("1.001193")).content.decode()
    assert '<a href="?version=1">1</a>' in body
    old = client.get(detail("1.001193"), {"version": "1"}).content.decode()
    assert "Sổ hộ khẩu hoặc giấy tờ chứng minh nơi cư trú" in old
    assert "alert-warning" in old


@pytest.mark.parametrize("query", [{"version": "abc"}, {"version": "99"}])
def test_detail_of_a_missing_version_or_procedure_is_404(client, demo_catalog, query):
    assert client.get(detail("1.001193"), query).status_code == 404
    assert client.get(detail("9.999999")).status_code == 404


def test_exports_are_public_downloads(client, demo_catalog):
    response = client.get(reverse("catalog:export_json"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert len(json.loads(response.content)["procedures"]) == Procedure.objects.count()
    response = client.get(reverse("catalog:export_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbfcode,name,")


# -- the import page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [IMPORT, "/catalog/import/1/"],
)
def test_it_checks_access(client, world, national_admin, url):
    CatalogImport.objects.create(
        pk=1, file_name="x.csv", file_format="csv", content=b"", sha256="0", status="rejected"
    )
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    for persona in (
        world.outsider,
        world.clerk_a,
        world.citizen,
        world.auditor,
        world.provincial_admin,
    ):
        client.force_login(persona)
        assert client.get(url).status_code == 403, persona
    client.force_login(national_admin)
    assert client.get(url).status_code == 200


def test_apply_checks_access(client, world, national_admin):
    upload = CatalogImport.objects.create(
        file_name="x.csv", file_format="csv", content=b"", sha256="0", status="checked"
    )
    url = reverse("catalog:import_apply", args=[upload.pk])
    assert client.post(url).status_code == 302
    for persona in (world.clerk_a, world.provincial_admin):
        client.force_login(persona)
        assert client.post(url).status_code == 403
    client.force_login(national_admin)
    assert client.get(url).status_code == 405


def upload(client, name: str, data: bytes):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data)})


def test_a_bad_file_shows_every_problem_and_changes_nothing(client, demo_catalog, national_admin):
    client.force_login(national_admin)
    data = edit_csv(export_csv(), "1.001193", processing_time="-1", quantity="0")
    versions = ProcedureVersion.objects.count()
    response = upload(client, "catalog.csv", data)
    checked = CatalogImport.objects.get()
    assert response.status_code == 302 and response.url == f"/catalog/import/{checked.pk}/"
    assert checked.status == "rejected"
    body = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nothing was imported" in body
    assert "processing time must be a positive number" in body and "Line " in body
    assert "Dòng" not in body and "phải là số dương" not in body  # the report in English only
    assert "Apply this import" not in body
    body = client.get(response.url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "thời hạn giải quyết phải là số dương" in body and "số lượng phải là số dương" in body
    assert "Line " not in body and "must be" not in body
    assert ProcedureVersion.objects.count() == versions
    assert AuditEvent.objects.filter(action="catalog.import_checked").exists()


def test_a_good_file_is_checked_then_applied(client, demo_catalog, national_admin):
    client.force_login(national_admin)
    data = edit_csv(export_csv(), "1.001193", processing_time="2", effective_from="")
    response = upload(client, "catalog.csv", data)
    checked = CatalogImport.objects.get()
    assert checked.status == "checked"
    body = client.get(response.url).content.decode()
    assert "1.001193" in body and "Apply this import" in body
    assert Procedure.objects.get(code="1.001193").versions.count() == 2  # not yet

    response = client.post(reverse("catalog:import_apply", args=[checked.pk]), follow=True)
    assert "Imported: 0 new procedure(s), 1 changed, 1 new version(s)." in (
        response.content.decode()
    )
    checked.refresh_from_db()
    assert checked.status == "applied" and checked.applied_by == national_admin
    assert Procedure.objects.get(code="1.001193").versions.count() == 3
    event = AuditEvent.objects.get(action="catalog.import_applied")
    assert event.actor_id == national_admin.pk and event.details["new_versions"] == 1

    # Applying the same upload again does nothing and says so.
    again = client.post(reverse("catalog:import_apply", args=[checked.pk]), follow=True)
    assert "Nothing was imported" in again.content.decode()
    assert Procedure.objects.get(code="1.001193").versions.count() == 3


def test_a_file_that_became_stale_is_rejected_at_apply(client, demo_catalog, national_admin):
    client.force_login(national_admin)
    data = edit_csv(export_csv(), "1.001193", processing_time="2", effective_from="2030-01-01")
    upload(client, "a.csv", data)
    first = CatalogImport.objects.get()
    # Meanwhile someone publishes a later version.
    upload(
        client,
        "b.csv",
        edit_csv(export_csv(), "1.001193", effective_from="2031-01-01", processing_time="4"),
    )
    second = CatalogImport.objects.exclude(pk=first.pk).get()
    client.post(reverse("catalog:import_apply", args=[second.pk]))
    response = client.post(
        reverse("catalog:import_apply", args=[first.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="vi"
    )
    first.refresh_from_db()
    assert first.status == "rejected"
    assert "sớm hơn phiên bản mới nhất" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "This field is required"),
        ({"file": SimpleUploadedFile("catalog.xlsx", b"PK")}, "Choose a .json or .csv file"),
        ({"file": SimpleUploadedFile("catalog.csv", b"")}, "The submitted file is empty"),
    ],
)
def test_upload_form_errors_are_shown(client, national_admin, data, message):
    client.force_login(national_admin)
    response = client.post(IMPORT, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CatalogImport.objects.exists()
