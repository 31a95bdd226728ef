"""The API as a whole: OpenAPI, problem details, throttling."""

import pytest


@pytest.mark.django_db
def test_openapi_document_and_docs_are_served(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["info"]["title"] == "PostGov API"
    assert client.get("/api/docs").status_code == 200


@pytest.mark.django_db
def test_unknown_api_path_is_a_problem_not_a_page(client):
    response = client.get("/api/v1/agencies/does-not-exist")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_callers_are_throttled(client, monkeypatch):
    from postgov.api import AddressThrottle, api

    for throttle in api.throttle:
        if isinstance(throttle, AddressThrottle):
            monkeypatch.setattr(throttle, "limit", 3)
    codes = [client.get("/api/v1/agencies/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    last = client.get("/api/v1/agencies/")
    assert last["Content-Type"] == "application/problem+json"
    assert last["Retry-After"] == "60"
    other = client.get("/api/v1/agencies/", REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 200
