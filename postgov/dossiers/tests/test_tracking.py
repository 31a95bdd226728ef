"""Public tracking (page and API) and the staff dossier API."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from postgov.dossiers.tracking.links import token_for
from postgov.dossiers.workflow import State
from postgov.lib.s10 import make_item_id

from .intake_helpers import draft, ready, seal

API = "/api/v1/track/"


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sealed(world, version):
    dossier, _ = seal(ready(world, version, name="Nguyễn Văn An"))
    return dossier


def item_of(dossier) -> str:
    return dossier.items.get(leg="outbound").item_id


def test_the_labels_qr_opens_the_timeline(client, sealed):
    response = client.get(
        reverse("dossiers:track"), {"code": item_of(sealed), "t": token_for(sealed.pk)}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "N***** V** A*" in html and "Nguyễn Văn An" not in html
    assert sealed.code in html and "Cấp bản sao trích lục hộ tịch" in html
    assert sealed.applicant_phone not in html and sealed.applicant_id_number not in html
    assert response["Cache-Control"] == "no-store"


def test_a_dossier_code_needs_the_phone_digits_sent_by_post(client, sealed):
    url = reverse("dossiers:track")
    asked = client.get(url, {"code": sealed.code}).content.decode()
    assert "N***** V** A*" not in asked and 'name="phone_last4"' in asked
    wrong = client.post(url, {"code": sealed.code, "phone_last4": "0000"})
    assert wrong.status_code == 404 and "N***** V** A*" not in wrong.content.decode()
    right = client.post(url, {"code": sealed.code.lower(), "phone_last4": "5678"})
    assert right.status_code == 200 and "N***** V** A*" in right.content.decode()


def test_drafts_and_unknown_codes_are_not_found(client, world, version):
    dossier = draft(world, version)
    response = client.post(reverse("dossiers:track"), {"code": make_item_id("HC", 99999)})
    assert response.status_code == 404
    response = client.post(reverse("dossiers:track"), {"code": f"x{dossier.pk}"})
    assert response.status_code in (200, 404)


def test_guessing_the_digits_is_limited_per_code(client, sealed):
    url = reverse("dossiers:track")
    statuses = [
        client.post(url, {"code": sealed.code, "phone_last4": f"{n:04d}"}).status_code
        for n in range(12)
    ]
    assert statuses[:10] == [404] * 10 and statuses[-1] == 429
    # even the right digits wait now
    assert client.post(url, {"code": sealed.code, "phone_last4": "5678"}).status_code == 429


def test_lookups_are_limited_per_address(client, sealed, settings):
    settings.TRACK_LIMIT_PER_MINUTE = 3
    url = reverse("dossiers:track")
    codes = [client.get(url, {"code": item_of(sealed)}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_api_track_by_item_and_by_code(client, sealed):
    postal = client.get(API + item_of(sealed)).json()
    assert postal["scope"] == "postal" and postal["status"] == "accepted"
    assert "code" not in postal and "applicant" not in postal
    body = client.get(API + item_of(sealed), {"token": token_for(sealed.pk)}).json()
    assert body["scope"] == "dossier"
    assert body["code"] == sealed.code and body["applicant"] == "N***** V** A*"
    assert body["status"] == State.SEALED and body["national_status"] == 1
    assert body["steps"][0]["code"] == "SEAL"
    assert body["expected_handover"] and body["expected_return_at"]
    assert "phone" not in json.dumps(body) and sealed.applicant_id_number not in json.dumps(body)
    missing = client.get(API + sealed.code)
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
    found = client.get(API + sealed.code, {"phone_last4": "5678"})
    assert found.status_code == 200 and found.json()["code"] == sealed.code


def test_api_rate_limit_is_a_problem_with_retry_after(client, sealed, settings, time_machine):
    # Retry-After: what is left of the minute the lookups are counted in.
    time_machine.move_to(timezone.now().replace(second=15, microsecond=0), tick=False)
    settings.TRACK_LIMIT_PER_MINUTE = 2
    for _ in range(2):
        assert client.get(API + item_of(sealed)).status_code == 200
    response = client.get(API + item_of(sealed))
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "45"
    assert response.json()["status"] == 429


def test_no_personal_data_in_logs(client, sealed, caplog):
    with caplog.at_level(logging.DEBUG):
        client.post(reverse("dossiers:track"), {"code": sealed.code, "phone_last4": "5678"})
        client.get(API + sealed.code, {"phone_last4": "0000"})
    text = caplog.text
    assert "Nguyễn Văn An" not in text and "0912345678" not in text


# -- staff API ---------------------------------------------------------------------------


def test_staff_api_checks_access(client, world, sealed, clerk_a, clerk_b, outsider):
    url = f"/api/v1/dossiers/{sealed.pk}"
    assert client.get(url).status_code == 401
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(clerk_b)
    assert client.get(url).status_code == 404
    assert client.post(
        f"{url}/actions/dispatch", {}, content_type="application/json"
    ).status_code in (403, 404)
    client.force_login(clerk_a)
    body = client.get(url).json()
    assert body["code"] == sealed.code and "dispatch" in body["actions"]


def test_staff_api_dispatches_with_the_same_rules(world, sealed, clerk_a, agency_officer):
    from tests.clients import PostGovClient

    client = PostGovClient(enforce_csrf_checks=True)
    client.force_login(clerk_a)
    url = f"/api/v1/dossiers/{sealed.pk}/actions/dispatch"
    assert client.post(url, {}, content_type="application/json").status_code == 403  # no CSRF
    client.get(reverse("home"))
    token = client.cookies["csrftoken"].value
    response = client.post(url, {}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and response.json()["status"] == State.IN_TRANSIT
    again = client.post(url, {}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert again.status_code == 409
    officer = PostGovClient()
    officer.force_login(agency_officer)
    response = officer.post(
        f"/api/v1/dossiers/{sealed.pk}/actions/cancel", {}, content_type="application/json"
    )
    assert response.status_code == 403
