"""A NUL character in a code or a search answers not found (or no match), never 500:
PostgreSQL refuses NUL in a query before running it (SQLite does not, so these fail
without the guards on PostgreSQL only)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_agency_page(client, world):
    assert client.get("/agencies/a%00b/").status_code == 404


def test_agency_list_search(client, world):
    response = client.get("/agencies/?q=%C4%90%C3%B4ng%00H%C3%A0")
    assert response.status_code == 200


def test_api_agency(client, world):
    assert client.get("/api/v1/agencies/a%00b").status_code == 404


def test_api_agency_list_search(client, world):
    assert client.get("/api/v1/agencies/?q=a%00b").status_code == 200


@pytest.mark.parametrize(
    "query", ["procedure=a%00b&commune=19333", "procedure=1.004227&commune=19%00333"]
)
def test_api_competent_agencies(client, world, query):
    assert client.get("/api/v1/agencies/competent?" + query).status_code == 404
