"""No input makes a catalog page or endpoint fail with a 500 (on PostgreSQL a NUL
character in a query is the classic one)."""

from __future__ import annotations

import pytest

NASTY = ["\x00", "a\x00b", "%", "_", "'; drop table x; --", "<script>", "ǅ" * 300, "1" * 5000]


@pytest.mark.parametrize("value", NASTY)
def test_pages_answer_without_error(client, demo_catalog, value):
    for params in ({"q": value}, {"field": value}, {"level": value}, {"page": value}):
        assert client.get("/catalog/", params).status_code == 200
    assert client.get("/catalog/", {"q": value}, headers={"HX-Request": "true"}).status_code == 200
    assert client.get("/catalog/1.001193/", {"version": value}).status_code == 404
    assert client.get("/catalog/x" + value.replace("/", "") + "/").status_code == 404


@pytest.mark.parametrize("value", NASTY)
def test_api_answers_without_error(client, demo_catalog, value):
    for params in ({"q": value}, {"field": value}, {"agency_level": value}, {"page": value}):
        assert client.get("/api/v1/catalog/procedures", params).status_code in (200, 422)
    assert client.get("/api/v1/catalog/procedures/x" + value).status_code in (404, 422)
    for params in ({"province": value}, {"province": "44", "on": value}):
        assert client.get("/api/v1/catalog/tariff", params).status_code in (404, 422)


def test_nul_characters_inside_a_json_file_are_reported_not_crashed_on(client, national_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from postgov.catalog.models import CatalogImport

    client.force_login(national_admin)
    data = (
        b'[{"code": "1.001193", "name": "a\\u0000b", "field": "H\\u0000", '
        b'"agency_level": "x\\u0000", "versions": [], "k\\u0000": 1}]'
    )
    response = client.post("/catalog/import/", {"file": SimpleUploadedFile("c.json", data)})
    assert response.status_code == 302
    report = CatalogImport.objects.get().report
    assert any("contains a NUL character" in problem["en"] for problem in report["problems"])
    assert client.get(response.url).status_code == 200
