"""A request the API cannot read is the caller's error (400 problem details), not ours."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_more_parameters_than_allowed_is_a_bad_request(client, settings):
    query = "&".join(["q=a"] * (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client.get("/api/v1/places/communes?" + query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 400


def test_a_multipart_body_that_cannot_be_parsed_is_a_bad_request(citizen):
    # The session login's CSRF check reads the body before the endpoint does.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(citizen)
    browser.cookies["csrftoken"] = "k" * 32
    name = "a" * 10_000  # a part header longer than Django reads
    body = f'--x\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n1\r\n--x--\r\n'
    response = browser.generic(
        "POST",
        "/api/v1/dossiers/1/actions/accept",
        body,
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
