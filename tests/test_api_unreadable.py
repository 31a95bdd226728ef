"""A request the API cannot read is the caller's error (400 problem details), not ours."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_more_parameters_than_allowed_is_a_bad_request(client, settings):
    query = "&".join(["q=a"] * (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client.get("/api/v1/places/communes?" + query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 400
