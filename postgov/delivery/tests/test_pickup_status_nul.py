"""A NUL character in a booking code answers not found, never 500 (PostgreSQL refuses NUL
in a query; SQLite does not, so this fails without the guard on PostgreSQL only)."""

import pytest


@pytest.mark.django_db
def test_pickup_status_with_a_nul_in_the_code(client):
    assert client.get("/delivery/pickup/AB%00CD/").status_code == 404
