"""Every operation of the API against its own OpenAPI document with schemathesis: whatever
the input, never a server error, errors as problem+json — and each operation must reach
its logic, not only its gates.

Each operation runs in its own test with data to find (the personas, a catalog, postal
codes, a dossier handed over to agency A with a supplement request, its Form 02, an annex
and webhook deliveries), the credentials it asks for (agency A's API key; a clerk's
session with its CSRF token) and no rate limit. Half the examples are fuzzed throughout;
the other half keep the path on the real objects and fuzz the rest. An operation reached
its logic when some answer was a success or an error of its own (a 4xx other than 401,
403, 404, 429 and the schema's 422): a run where every answer came from a gate (no
credential, nothing found, throttled, malformed) tests nothing behind it.

schemathesis is a test-only dependency (pin: schemathesis==4.32.5); without it this module
is skipped with that reason, except under CI where its absence is a failure.
"""

from __future__ import annotations

import base64
import io
import json
import os
from contextlib import contextmanager
from datetime import date

import pytest

try:
    import schemathesis
    from hypothesis import HealthCheck, given
    from hypothesis import settings as examples
    from hypothesis import strategies as st
    from schemathesis.checks import not_a_server_error
except ImportError:  # pragma: no cover - depends on the environment
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip(
        "schemathesis is not installed (pip install schemathesis==4.32.5)",
        allow_module_level=True,
    )

from django.core.wsgi import get_wsgi_application

from tests.clients import PostGovClient

# Deadlines and working days of the dossier the examples act on: on a pinned clock.
pytestmark = [pytest.mark.django_db, pytest.mark.clock]

EXAMPLES = 30
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
OPERATIONS = {
    result.ok().label: result.ok()
    for result in schema.get_all_operations()
    if result.ok() is not None
}
GATES = {401, 403, 404, 429}
# Operations that may legitimately never get past their gates in this run, and why. Keep
# it empty unless an operation cannot be given data.
UNREACHED_ON_PURPOSE: dict[str, str] = {}

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
POSTAL_CODES = (
    "code,name,kind,province_code,commune_code,latitude,longitude\n"
    "48100,Phường Đông Hà,commune,44,19333,16.802,107.071\n"
    "47100,Phường Đồng Hới,commune,44,18880,17.4522,106.632\n"
)


@contextmanager
def keeping_the_test_connection():
    """Requests go through the real WSGI handler, which closes the database connection
    when a request finishes; Django's own test client disconnects that, so do we (else
    the test's transaction is lost on PostgreSQL). Around the examples only: the test
    client, used to build the data, connects it again after each of its requests."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def no_rate_limits(monkeypatch):
    """Every fixed-window limit (the API's per caller, tracking's, the phone codes') counts
    nothing: a run of examples from one address is not an attack."""
    from postgov.lib import ratelimit

    monkeypatch.setattr(ratelimit, "incr", lambda scope, key, window_seconds: 1)


@pytest.fixture
def data(world, no_rate_limits, settings):
    """Something real behind every path, and the credentials to reach it."""
    from postgov.dossiers.models import EventAttachment
    from postgov.exchange.integration import create_api_key, create_webhook
    from postgov.places import postal_codes
    from postgov.places.postal_codes import import_postal_codes
    from tests.agency_helpers import handed_over, move
    from tests.factories import make_intake_catalog

    settings.ALLOWED_HOSTS = ["*"]
    version = make_intake_catalog(world)
    import_postal_codes(io.StringIO(POSTAL_CODES), "QT 2025", date(2025, 7, 1), "test")
    world.point_a.latitude, world.point_a.longitude = 16.8031, 107.0722
    world.point_a.save(update_fields=["latitude", "longitude"])
    key = create_api_key(world.agency_a, "schemathesis")[1]
    create_webhook(world.agency_a, "http://127.0.0.1:9/nowhere")
    dossier = handed_over(world)
    move(dossier, "accept", world.agency_receiver)
    api = PostGovClient()
    answer = api.post(
        f"/api/v1/agency/dossiers/{dossier.code}/actions",
        data=json.dumps(
            {
                "action": "request_supplement",
                "missing": ["Bản sao giấy chứng sinh"],
                "files": [
                    {"name": "phu-luc.pdf", "content_base64": base64.b64encode(PDF).decode()}
                ],
            }
        ),
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )
    assert answer.status_code == 200, answer.content
    annex = EventAttachment.objects.get(dossier=dossier)
    from postgov.exchange.models import WebhookDelivery

    delivery = WebhookDelivery.objects.filter(endpoint__agency=world.agency_a).first()
    assert delivery is not None

    from postgov.dossiers.orders.actions import OrderRequest, create_order

    order_body = {
        "dossier_code": f"{world.agency_a.unit_code}-261130-0001",
        "procedure_code": version.procedure.code,
        "documents": [{"name": "Giấy khai sinh (bản chính)"}],
        "recipient": {
            "name": "Nguyễn Văn An",
            "phone": "0912345678",
            "address": "12 Lê Lợi",
            "commune_code": world.commune_a.code,
        },
        "cod_amount": 0,
    }
    order = create_order(
        world.agency_a.pk,
        OrderRequest(
            kind="result",
            portal_code=f"{world.agency_a.unit_code}-261130-0002",
            procedure_code=version.procedure.code,
            documents=[{"name": "Giấy khai sinh (bản chính)"}],
            recipient_name="Nguyễn Văn An",
            recipient_phone="0912345678",
            address="12 Lê Lợi",
            commune_code=world.commune_a.code,
        ),
        via="test",
    )

    staff = PostGovClient()
    staff.force_login(world.clerk_a)
    staff.get("/")
    session = staff.cookies[django_settings().SESSION_COOKIE_NAME].value
    csrf = staff.cookies[django_settings().CSRF_COOKIE_NAME].value
    item = dossier.items.first()
    return {
        "headers": {"X-API-Key": key, "X-CSRFToken": csrf},
        "cookies": {
            django_settings().SESSION_COOKIE_NAME: session,
            django_settings().CSRF_COOKIE_NAME: csrf,
        },
        "path": {
            "code": None,  # per operation, below
            "dossier_code": dossier.code,
            "item": item.item_id,
            "point": world.point_a.code,
            "postal_code": "48100",
            "vpostcode": str(postal_codes.vpostcode_of_point(world.point_a) or ""),
            "procedure": version.procedure.code,
            "unit_code": world.agency_a.unit_code,
            "event_id": annex.event_id,
            "attachment_id": annex.pk,
            "delivery_id": delivery.pk,
            "pk": dossier.pk,
            "action": "dispatch",
            "order": order.code,
        },
        # Operations whose fuzzed query or body almost never names anything real: half
        # their anchored examples carry these.
        "query": {
            "GET /api/v1/agencies/competent": {
                "procedure": version.procedure.code,
                "commune": world.commune_a.code,
            },
            "GET /api/v1/catalog/tariff": {"province": world.province.code, "zone": "in"},
        },
        "body": {
            "POST /api/v1/agency/dossiers/{code}/actions": {"action": "accept"},
            "POST /api/v1/agency/orders": order_body,
        },
    }


def django_settings():
    from django.conf import settings as django

    return django


def real_path(label: str, known: dict) -> dict:
    """The path parameters of `label` set to objects that exist."""
    path = dict(known)
    code = {
        "/api/v1/places/points/{code}": known["point"],
        "/api/v1/places/postal-codes/{code}": known["postal_code"],
        "/api/v1/places/vpostcode/{code}": known["vpostcode"],
        "/api/v1/catalog/procedures/{code}": known["procedure"],
        "/api/v1/track/{code}": known["item"],
        "/api/v1/agency/orders/{code}": known["order"],
        "/api/v1/agency/orders/{code}/events": known["order"],
        "/api/v1/agency/orders/{code}/cancel": known["order"],
    }
    path["code"] = next(
        (value for suffix, value in code.items() if label.endswith(suffix)),
        known["dossier_code"],
    )
    return path


def check(case, response):
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", "")
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/problem+json"), (
            response.status_code,
            response.text[:200],
        )


def reached_logic(response) -> bool:
    status = response.status_code
    if status < 400:
        return True
    if status in GATES or status >= 500:
        return False
    if status == 422:
        errors = (response.json() or {}).get("errors") or []
        # The schema's own refusals say where in the request (query, path, body...).
        schema_refusal = errors and all(
            (e.get("loc") or [""])[0] in {"query", "path", "body", "header", "cookie"}
            for e in errors
        )
        return not schema_refusal
    return True


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_every_operation_reaches_its_logic_without_a_server_error(label, data):
    operation = OPERATIONS[label]
    names = {p.name for p in operation.iter_parameters() if p.location == "path"}
    anchored = {k: v for k, v in real_path(label, data["path"]).items() if k in names}
    strategies = [operation.as_strategy()]
    if anchored:
        strategies.append(operation.as_strategy(path_parameters=anchored))
    if label in data["query"]:
        strategies.append(operation.as_strategy(query=data["query"][label]))
    if label in data["body"]:
        strategies.append(operation.as_strategy(path_parameters=anchored, body=data["body"][label]))
    outcomes: list[int] = []

    @given(case=st.one_of(strategies))
    @examples(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case):
        response = case.call(headers=data["headers"], cookies=data["cookies"])
        check(case, response)
        outcomes.append(response)

    with keeping_the_test_connection():
        run()
    statuses = sorted({r.status_code for r in outcomes})
    reached = sum(reached_logic(r) for r in outcomes)
    print(f"{label}: {reached}/{len(outcomes)} examples reached the logic; statuses {statuses}")
    if label in UNREACHED_ON_PURPOSE:
        return
    assert reached, f"{label}: every answer came from a gate: {statuses}"
