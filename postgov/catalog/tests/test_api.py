"""The catalog API: search, one procedure, the tariff; errors as problem+json."""

from __future__ import annotations

import pytest

API = "/api/v1/catalog"


def test_procedures_are_searched_filtered_and_paginated(client, demo_catalog):
    response = client.get(f"{API}/procedures", {"q": "DANG KY KHAI SINH"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item == {
        "code": "1.001193",
        "name": "Đăng ký khai sinh",
        "field": "Hộ tịch",
        "agency_level": "commune",
        "is_demo": True,
        "postal_allowed": True,
        "url": "/catalog/1.001193/",
    }
    excluded = client.get(f"{API}/procedures", {"postal_allowed": "false"}).json()
    assert "1.000894" in {p["code"] for p in excluded["items"]}
    assert all(p["postal_allowed"] is False for p in excluded["items"])
    by_field = client.get(f"{API}/procedures", {"field": "Cư trú"}).json()
    assert by_field["count"] == 2
    paged = client.get(f"{API}/procedures", {"page_size": 5, "page": 2}).json()
    assert len(paged["items"]) == 5 and paged["count"] >= 25


def test_one_procedure_with_its_version_in_force(client, demo_catalog):
    body = client.get(f"{API}/procedures/1.001193").json()
    version = body["version"]
    assert (version["version"], version["effective_from"]) == (2, "2025-07-01")
    assert version["documents"][1]["name"] == "Giấy chứng sinh"
    assert {f["amount"] for f in version["fees"]} == {0, 8000}
    assert [v["effective_to"] for v in body["versions"]] == ["2025-06-30", None]
    old = client.get(f"{API}/procedures/1.001193", {"on": "2020-01-01"}).json()
    assert old["version"]["version"] == 1


@pytest.mark.parametrize(
    ("url", "params", "status"),
    [
        ("/procedures/9.999999", {}, 404),
        ("/procedures/1.001193", {"on": "1990-01-01"}, 404),
        ("/procedures/1.001193", {"on": "yesterday"}, 422),
        ("/procedures", {"page": 0}, 422),
        ("/procedures", {"agency_level": "district"}, 422),
        ("/tariff", {}, 422),
        ("/tariff", {"province": "99"}, 404),
        ("/tariff", {"province": "44", "zone": "in"}, 422),
        ("/tariff", {"province": "44", "zone": "in", "weight_g": 5000}, 422),
        ("/tariff", {"province": "44", "zone": "moon", "weight_g": 5}, 422),
    ],
)
def test_errors_are_problem_details(client, demo_catalog, url, params, status):
    response = client.get(f"{API}{url}", params)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"]
    # Said in the language of Accept-Language (this client asks for English), never both.
    vietnamese = client.get(f"{API}{url}", params, HTTP_ACCEPT_LANGUAGE="vi").json()["detail"]
    assert " / " not in body["detail"] and " / " not in vietnamese
    assert vietnamese != body["detail"]


def test_the_tariff_of_a_province_and_a_charge(client, demo_catalog):
    body = client.get(f"{API}/tariff", {"province": "44"}).json()
    assert body["remittance_fee"] == 8000 and body["province"] == "44"
    assert {"zone": "in", "max_weight_g": 100, "amount": 26000} in body["bands"]
    assert {"zone": "out", "max_weight_g": 100, "amount": 31500} in body["bands"]
    charged = client.get(f"{API}/tariff", {"province": "44", "zone": "out", "weight_g": 120})
    assert charged.json()["charge"] == 37000
    too_heavy = client.get(f"{API}/tariff", {"province": "44", "zone": "in", "weight_g": 2500})
    assert "over the heaviest band of the tariff (2,000 g)" in too_heavy.json()["detail"]
    vietnamese = client.get(
        f"{API}/tariff",
        {"province": "44", "zone": "in", "weight_g": 2500},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert "(2.000 g)" in vietnamese.json()["detail"]


def test_a_province_without_tariff_is_404(client, world):
    response = client.get(f"{API}/tariff", {"province": "44"})
    assert response.status_code == 404


def test_exempt_categories(client, demo_catalog):
    body = client.get(f"{API}/exempt-categories").json()
    assert "Người có công với cách mạng" in {c["name"] for c in body}


def test_the_endpoints_are_in_the_openapi_document(client, db):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {
        f"{API}/procedures",
        f"{API}/procedures/{{code}}",
        f"{API}/tariff",
        f"{API}/exempt-categories",
    } <= set(paths)
