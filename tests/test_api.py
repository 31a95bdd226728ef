"""The API as a whole: OpenAPI, problem details, throttling."""

import pytest

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock


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
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/agencies/does-not-exist", 404),  # answered by Django itself
        ("/api/v1/places/postal-codes/4810", 422),  # answered by the API
        ("/api/v1/places/communes?page=0", 422),  # the request's validation
    ],
)
def test_a_problem_is_said_in_the_language_asked_for_never_in_both(client, url, status):
    vietnamese = client.get(url)  # Vietnamese is the default
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert vietnamese.status_code == english.status_code == status
    vi_detail, en_detail = vietnamese.json()["detail"], english.json()["detail"]
    assert vietnamese["Content-Language"] == "vi" and english["Content-Language"] == "en"
    assert vi_detail != en_detail
    assert " / " not in vi_detail and " / " not in en_detail
    assert vi_detail.split()[0] in {"Không", "Mã", "Dữ"}
    assert en_detail.split()[0] in {"Not", "A", "The"}


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


@pytest.mark.django_db
def test_addresses_of_one_ipv6_64_are_one_caller(client, monkeypatch):
    from postgov.api import AddressThrottle, api

    for throttle in api.throttle:
        if isinstance(throttle, AddressThrottle):
            monkeypatch.setattr(throttle, "limit", 2)
    codes = [
        client.get("/api/v1/agencies/", REMOTE_ADDR=f"2001:db8:5:6::{n}").status_code
        for n in range(1, 4)
    ]
    assert codes == [200, 200, 429]
    assert client.get("/api/v1/agencies/", REMOTE_ADDR="2001:db8:5:7::1").status_code == 200


def test_client_address_behind_a_trusted_proxy(rf, settings):
    from postgov.audit.actions import client_ip

    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5")
    settings.TRUSTED_PROXIES = 0
    assert client_ip(request) == "127.0.0.1"
    settings.TRUSTED_PROXIES = 1
    # The left entry is whatever the client claimed; only the proxy's own entry counts.
    assert client_ip(request) == "203.0.113.5"
    settings.TRUSTED_PROXIES = 3
    assert client_ip(request) == "127.0.0.1"  # fewer entries than proxies: not trusted


@pytest.mark.django_db
def test_a_logged_in_session_is_not_rewritten_on_every_request(client, clerk_a):
    from django.contrib.sessions.models import Session

    client.force_login(clerk_a)
    client.get("/")
    before = Session.objects.get().expire_date
    client.get("/")
    assert Session.objects.get().expire_date == before


def _inputs(spec):
    """Every schema a caller sends: each parameter's, and each request body's with the
    components it names, as (where, schema) pairs."""
    components = spec.get("components", {}).get("schemas", {})

    def walk(node, where, seen):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref:
                name = ref.rsplit("/", 1)[-1]
                if name not in seen:
                    yield from walk(components[name], f"{where}->{name}", seen | {name})
                return
            yield where, node
            for key, value in node.items():
                yield from walk(value, f"{where}/{key}", seen)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{where}[{index}]", seen)

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                where = f"{method.upper()} {path} {parameter['name']}"
                yield from walk(parameter.get("schema", {}), where, frozenset())
            body = operation.get("requestBody", {}).get("content", {})
            for media, content in body.items():
                where = f"{method.upper()} {path} body({media})"
                yield from walk(content.get("schema", {}), where, frozenset())


def test_every_numeric_input_is_bounded():
    """An unbounded integer reaches the database (an OFFSET, a primary key) and overflows
    it there: a 500 instead of a problem the caller can read."""
    from postgov.api import api

    unbounded = [
        where
        for where, schema in _inputs(api.get_openapi_schema())
        if schema.get("type") in ("integer", "number")
        and not (
            {"minimum", "exclusiveMinimum"} & schema.keys()
            and {"maximum", "exclusiveMaximum"} & schema.keys()
        )
    ]
    assert unbounded == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/catalog/procedures?page=296900564730815971328",
        "/api/v1/catalog/procedures?page_size=296900564730815971328",
        "/api/v1/catalog/procedures?page=9223372036854775807",
        "/api/v1/places/points?page=296900564730815971328",
        "/api/v1/dossiers/296900564730815971328",
    ],
)
def test_huge_numbers_are_a_problem_not_a_server_error(client, clerk_a, url):
    client.force_login(clerk_a)
    response = client.get(url)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
