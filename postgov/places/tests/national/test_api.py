"""The places JSON API."""

import pytest

from postgov.places.demo import load_demo

API = "/api/v1/places"


@pytest.fixture
def demo(places):
    load_demo()


def problem(response, status: int) -> dict:
    """A problem answer, said in one language (the one of Accept-Language)."""
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"]
    assert " / " not in body["detail"]
    return body


def test_provinces(client, places):
    body = client.get(f"{API}/provinces").json()
    assert len(body) == 34
    quang_tri = next(p for p in body if p["code"] == "44")
    assert quang_tri["name"] == "Tỉnh Quảng Trị"
    assert [p["name"] for p in quang_tri["predecessors"]] == ["Tỉnh Quảng Bình", "Tỉnh Quảng Trị"]


def test_communes_by_province_and_search_are_paginated(client, places):
    body = client.get(f"{API}/communes", {"province": "44"}).json()
    assert body["count"] == 78 and len(body["items"]) == 50
    second = client.get(f"{API}/communes", {"province": "44", "page": 2}).json()
    assert len(second["items"]) == 28
    found = client.get(f"{API}/communes", {"province": "44", "q": "dong ha"}).json()
    assert {c["name"] for c in found["items"]} == {"Phường Đông Hà", "Phường Nam Đông Hà"}
    assert found["items"][0]["province"] == {"code": "44", "name": "Tỉnh Quảng Trị"}


def test_communes_of_an_unknown_province_is_a_problem(client, places):
    problem(client.get(f"{API}/communes", {"province": "99"}), 404)
    problem(client.get(f"{API}/communes", {"page": 0}), 422)


def test_points_and_one_point(client, demo):
    body = client.get(f"{API}/points", {"kind": "po1"}).json()
    assert [p["code"] for p in body["items"]] == ["QT-001", "QT-002"]
    assert body["items"][0]["province"]["code"] == "44"
    assert client.get(f"{API}/points", {"q": "khe sanh"}).json()["count"] == 1
    assert client.get(f"{API}/points", {"commune": "18880"}).json()["count"] == 1
    one = client.get(f"{API}/points/QT-002").json()
    assert one["name"] == "Bưu điện Đông Hà" and one["postal_code"] == "48100"
    assert len(one["vpostcode"]) == 12 and one["vpostcode"].startswith("48100")
    problem(client.get(f"{API}/points", {"kind": "bad"}), 422)


def test_an_unknown_point_is_a_404_problem(client, demo):
    body = problem(client.get(f"{API}/points/NOPE"), 404)
    assert body["instance"] == f"{API}/points/NOPE"


def test_postal_codes(client, demo):
    body = client.get(f"{API}/postal-codes/48100").json()
    assert body["commune"] == {"code": "19333", "name": "Phường Đông Hà"}
    assert body["code_set"]["is_demo"] is True
    problem(client.get(f"{API}/postal-codes/99999"), 404)
    problem(client.get(f"{API}/postal-codes/4810"), 422)
    problem(client.get(f"{API}/postal-codes/４８１００"), 422)


def test_vpostcode(client, demo):
    body = client.get(f"{API}/vpostcode/48100R482G4F").json()
    assert body["full_code"] == "7P89R482+G4F" and body["pretty"] == "48100 R482+G4F"
    assert abs(body["latitude"] - 16.8163) < 1e-4 and body["postal_code"]["code"] == "48100"
    assert body["osm_url"].startswith("https://www.openstreetmap.org/")
    problem(client.get(f"{API}/vpostcode/junk"), 422)
    problem(client.get(f"{API}/vpostcode/12345R482G4F"), 404)


def test_convert(client, places):
    body = client.get(f"{API}/convert", {"address": "Phường 1, thành phố Đông Hà, tỉnh Quảng Trị"})
    body = body.json()
    assert body["found"] is True and body["message"] == ""
    assert body["new"]["commune"]["name"] == "Phường Đông Hà"
    assert body["new"]["province"] == {"code": "44", "name": "Tỉnh Quảng Trị"}
    assert body["old"]["commune"] == {"code": "19333", "name": "Phường 1"}
    assert body["new_address"] == "Phường Đông Hà, Tỉnh Quảng Trị"


def test_convert_a_split_commune(client, places):
    body = client.get(f"{API}/convert", {"address": "xa tan thanh, huyen thoi lai, can tho"})
    body = body.json()
    assert body["new"]["commune"]["name"] == "Xã Trường Thành"
    assert [c["name"] for c in body["alternatives"]] == ["Xã Tân Thạnh"]


def test_convert_partial_and_junk(client, places):
    partial = client.get(f"{API}/convert", {"address": "Hà Nội"}).json()
    assert partial["found"] is False and partial["message"].startswith("Chỉ nhận ra tỉnh")
    english = client.get(f"{API}/convert", {"address": "Hà Nội"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["message"].startswith("Only the province was recognised")
    problem(client.get(f"{API}/convert", {"address": "asdf"}), 422)
    problem(client.get(f"{API}/convert", {"address": ""}), 422)
    problem(client.get(f"{API}/convert", {"address": "x" * 301}), 422)
    problem(client.get(f"{API}/convert"), 422)


def test_the_address_stays_out_of_the_logs(client, places, caplog):
    client.get(f"{API}/convert", {"address": "99 Nguyễn Du, asdf"})
    client.get(f"{API}/convert", {"address": "7 Nguyễn Du, Phường 1, Đông Hà, Quảng Trị"})
    assert "Nguyễn Du" not in caplog.text and "Nguy" not in caplog.text


def test_the_api_rejects_writes(client, places):
    assert client.post(f"{API}/provinces").status_code == 405


def test_the_openapi_schema_documents_the_places_endpoints(client, places):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("provinces", "communes", "points", "points/{code}", "convert"):
        assert f"{API}/{path}" in paths
