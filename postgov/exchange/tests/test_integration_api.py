"""The agency integration API: keys, scoping (agency A never sees B's dossiers), pulling,
acknowledging, status changes and results, Idempotency-Key, problem+json errors."""

from __future__ import annotations

import base64
import json

import pytest

from postgov.audit.models import AuditEvent
from postgov.dossiers.workflow import State
from postgov.exchange.integration import create_api_key, revoke_api_key
from postgov.exchange.models import ApiKey, IdempotencyRecord
from tests.agency_helpers import handed_over, move, sealed

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

BASE = "/api/v1/agency"


@pytest.fixture
def key_a(world):
    return create_api_key(world.agency_a, "Một cửa điện tử tỉnh")[1]


@pytest.fixture
def key_b(world):
    return create_api_key(world.agency_b, "UBND phường")[1]


def call(client, method, path, key=None, body=None, **headers):
    if key:
        headers["HTTP_X_API_KEY"] = key
    if body is not None:
        return getattr(client, method)(
            BASE + path, data=json.dumps(body), content_type="application/json", **headers
        )
    return getattr(client, method)(BASE + path, **headers)


def test_keys_are_stored_hashed_and_shown_once(world, key_a):
    stored = ApiKey.objects.get()
    assert key_a.startswith("pgk_") and key_a not in stored.key_hash
    assert stored.prefix in key_a
    assert AuditEvent.objects.filter(action="agency.api_key_created").exists()


def test_it_checks_access(client, world, key_a):
    dossier = handed_over(world)
    for path in ("/dossiers", f"/dossiers/{dossier.code}"):
        response = call(client, "get", path)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert call(client, "get", path, key="pgk_deadbeef_nope").status_code == 401
    assert (
        call(
            client, "post", f"/dossiers/{dossier.code}/actions", body={"action": "accept"}
        ).status_code
        == 401
    )
    revoke_api_key(ApiKey.objects.get())
    assert call(client, "get", "/dossiers", key=key_a).status_code == 401
    bearer = client.get(BASE + "/dossiers", HTTP_AUTHORIZATION=f"Bearer {key_a}")
    assert bearer.status_code == 401


def test_an_agency_only_ever_sees_its_own_dossiers(client, world, key_a, key_b):
    mine = handed_over(world)
    theirs = sealed(world, agency=world.agency_b)
    listed = call(client, "get", "/dossiers", key=key_a).json()["items"]
    assert [d["code"] for d in listed] == [mine.code]
    assert call(client, "get", f"/dossiers/{theirs.code}", key=key_a).status_code == 404
    assert call(client, "get", f"/dossiers/{mine.code}", key=key_b).status_code == 404
    response = call(
        client, "post", f"/dossiers/{mine.code}/actions", key=key_b, body={"action": "accept"}
    )
    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.status == State.HANDED_OVER
    bearer = client.get(f"{BASE}/dossiers/{mine.code}", HTTP_AUTHORIZATION=f"Bearer {key_a}")
    assert bearer.status_code == 200


def test_pull_with_filters_and_pages(client, world, key_a):
    dossiers = [handed_over(world) for _ in range(3)]
    page = call(client, "get", "/dossiers?limit=2", key=key_a).json()
    assert len(page["items"]) == 2 and page["next_after"]
    rest = call(client, "get", f"/dossiers?limit=2&after={page['next_after']}", key=key_a).json()
    assert [d["code"] for d in rest["items"]] == [dossiers[2].code] and rest["next_after"] is None
    assert call(client, "get", "/dossiers?status=accepted", key=key_a).json()["items"] == []
    assert call(client, "get", "/dossiers?status=nonsense", key=key_a).status_code == 422
    detail = call(client, "get", f"/dossiers/{dossiers[0].code}", key=key_a).json()
    assert detail["submitted_at"] and detail["due_at"] and "accept" in detail["allowed_actions"]
    assert isinstance(detail["working_days_left"], float)
    assert detail["events"][-1]["action"] == "hand_over" and detail["events"][-1]["form"] == "01"


def test_status_changes_problems_and_forms(client, world, key_a):
    dossier = handed_over(world)
    path = f"/dossiers/{dossier.code}/actions"
    refused = call(client, "post", path, key=key_a, body={"action": "result_ready"})
    assert refused.status_code == 422  # not an action of this endpoint (results have theirs)
    too_early = call(client, "post", path, key=key_a, body={"action": "start_processing"})
    assert too_early.status_code == 409 and too_early["Content-Type"] == "application/problem+json"
    assert (
        call(client, "post", path, key=key_a, body={"action": "accept"}).json()["status"]
        == "accepted"
    )
    missing = call(client, "post", path, key=key_a, body={"action": "request_supplement"})
    assert missing.status_code == 422 and missing.json()["status"] == 422
    body = {"action": "request_supplement", "missing": ["Giấy chứng sinh bản chính"]}
    data = call(client, "post", path, key=key_a, body=body).json()
    assert data["status"] == "supplement_requested" and data["clock_paused"]
    event = data["events"][-1]
    assert event["form"] == "02" and event["national_status"] == 5
    pdf = call(client, "get", f"/dossiers/{dossier.code}/events/{event['id']}/form", key=key_a)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    nul = call(client, "post", path, key=key_a, body={"action": "stop", "note": "a\x00b"})
    assert nul.status_code == 422


def test_results_with_a_scan(client, world, key_a):
    dossier = handed_over(world)
    move(dossier, "accept", world.agency_receiver)
    pdf = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()
    body = {
        "documents": [{"name": "Giấy khai sinh", "number": "12/2026", "issued_on": "2026-12-01"}],
        "files": [{"name": "giay-khai-sinh.pdf", "content_base64": pdf}],
    }
    data = call(client, "post", f"/dossiers/{dossier.code}/results", key=key_a, body=body).json()
    assert data["status"] == "result_ready"
    assert [r["name"] for r in data["results"]] == ["Giấy khai sinh", "giay-khai-sinh.pdf"]
    bad = {"files": [{"name": "x.pdf", "content_base64": "!!!!"}]}
    other = handed_over(world)
    move(other, "accept", world.agency_receiver)
    assert (
        call(client, "post", f"/dossiers/{other.code}/results", key=key_a, body=bad).status_code
        == 422
    )


def test_idempotency_key_replays_and_refuses_a_different_body(client, world, key_a):
    dossier = handed_over(world)
    path = f"/dossiers/{dossier.code}/acknowledge"
    first = call(
        client,
        "post",
        path,
        key=key_a,
        body={"reference": "MC-2026-001"},
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    again = call(
        client,
        "post",
        path,
        key=key_a,
        body={"reference": "MC-2026-001"},
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert AuditEvent.objects.filter(action="dossier.acknowledged").count() == 1
    other = call(
        client, "post", path, key=key_a, body={"reference": "MC-OTHER"}, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 422 and other["Content-Type"] == "application/problem+json"
    accept = f"/dossiers/{dossier.code}/actions"
    one = call(
        client, "post", accept, key=key_a, body={"action": "accept"}, HTTP_IDEMPOTENCY_KEY="k-2"
    )
    two = call(
        client, "post", accept, key=key_a, body={"action": "accept"}, HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert one.status_code == two.status_code == 200
    assert dossier.events.filter(action="accept").count() == 1
    # A refusal is stored too: the retry gets the same answer, not a second attempt.
    start = {"action": "stop", "reason_code": "NOPE"}
    first_error = call(client, "post", accept, key=key_a, body=start, HTTP_IDEMPOTENCY_KEY="k-3")
    assert first_error.status_code == 422
    assert (
        call(client, "post", accept, key=key_a, body=start, HTTP_IDEMPOTENCY_KEY="k-3")[
            "Idempotent-Replayed"
        ]
        == "true"
    )
    bad_key = call(client, "post", accept, key=key_a, body=start, HTTP_IDEMPOTENCY_KEY="é" * 3)
    assert bad_key.status_code == 400
    assert IdempotencyRecord.objects.filter(status_code__isnull=True).count() == 0


def test_the_openapi_document_lists_the_agency_api(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/v1/agency/dossiers/{code}/actions" in schema["paths"]
    assert schema["components"]["securitySchemes"]
