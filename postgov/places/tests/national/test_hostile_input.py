"""Hostile input never makes a 500, on SQLite or PostgreSQL (which refuses NUL in text)."""

import pytest

from postgov.places.demo import load_demo

NUL = "%00"
URLS = [
    f"/places/points/{NUL}/",
    f"/places/points/QT{NUL}001/",
    f"/places/points/?q={NUL}&kind={NUL}&commune={NUL}",
    f"/places/points/?commune=1{NUL}&page={NUL}",
    f"/places/communes/?province={NUL}&q=a{NUL}",
    f"/places/postal-codes/?q={NUL}&vpostcode={NUL}",
    f"/places/postal-codes/?q=48{NUL}",
    "/places/points/?page=99999999999999999999",
    "/places/communes/?page=-1",
    f"/api/v1/places/points/{NUL}",
    f"/api/v1/places/points?q={NUL}&commune={NUL}&province={NUL}",
    f"/api/v1/places/communes?q={NUL}",
    f"/api/v1/places/communes?province={NUL}",
    f"/api/v1/places/postal-codes/{NUL}",
    f"/api/v1/places/vpostcode/{NUL}",
    f"/api/v1/places/convert?address={NUL}",
    f"/api/v1/places/convert?address=Ph%C6%B0%E1%BB%9Dng%201{NUL}%2C%20%C4%90%C3%B4ng%20H%C3%A0",
    "/api/v1/places/communes?page=99999999999999999999",
]


@pytest.mark.parametrize("url", URLS)
def test_no_500(client, places, url):
    load_demo()
    response = client.get(url)
    assert response.status_code < 500, response.content[:300]


def test_converter_page_with_nul(client, places):
    response = client.post("/places/convert/", {"address": "Phường 1\x00, Đông Hà"})
    assert response.status_code == 200
