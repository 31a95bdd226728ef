"""OAuth2 client credentials for the agency integration API: a token from the PostID
token endpoint, used as a bearer token, scoped to its agency and its scopes; revoked
clients and expired tokens are refused; user flows are not affected."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from postgov.audit.models import AuditEvent
from postgov.dossiers.workflow import State
from postgov.exchange.integration import READ, WRITE, create_oauth_client, revoke_oauth_client
from postgov.exchange.models import AgencyClient, IdempotencyRecord
from tests.agency_helpers import handed_over, sealed

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

BASE = "/api/v1/agency"
AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


def token_response(client, client_id, secret, scope=None, grant_type="client_credentials"):
    data = {"grant_type": grant_type}
    if scope is not None:
        data["scope"] = scope
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return client.post(reverse("identity:oidc_token"), data, HTTP_AUTHORIZATION=f"Basic {basic}")


def get_token(client, agency_client, secret, scope=None) -> str:
    response = token_response(client, agency_client.application.client_id, secret, scope)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def call(client, method, path, token, body=None, **headers):
    headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if body is not None:
        return getattr(client, method)(
            BASE + path, data=json.dumps(body), content_type="application/json", **headers
        )
    return getattr(client, method)(BASE + path, **headers)


@pytest.fixture
def client_a(world):
    return create_oauth_client(world.agency_a, "Một cửa điện tử", [READ, WRITE])


@pytest.fixture
def reader_a(world):
    return create_oauth_client(world.agency_a, "Báo cáo", [READ])


@pytest.fixture
def client_b(world):
    return create_oauth_client(world.agency_b, "UBND phường", [READ, WRITE])


def test_the_secret_is_stored_hashed_and_creation_is_audited(world, client_a):
    agency_client, secret = client_a
    application = agency_client.application
    assert secret not in application.client_secret
    assert application.authorization_grant_type == "client-credentials"
    assert AuditEvent.objects.filter(action="agency.oauth_client_created").exists()


def test_a_token_is_obtained_and_used(client, world, client_a):
    agency_client, secret = client_a
    dossier = handed_over(world)
    response = token_response(client, agency_client.application.client_id, secret)
    data = response.json()
    # The machine's token: no refresh token, no ID token, no user behind it.
    assert data["token_type"] == "Bearer" and set(data["scope"].split()) == {READ, WRITE}
    assert "refresh_token" not in data and "id_token" not in data
    stored = AccessToken.objects.get()
    assert stored.user is None and not RefreshToken.objects.exists()
    assert AuditEvent.objects.filter(action="oidc.token_issued").exists()
    token = data["access_token"]
    listed = call(client, "get", "/dossiers", token).json()["items"]
    assert [d["code"] for d in listed] == [dossier.code]
    accepted = call(
        client, "post", f"/dossiers/{dossier.code}/actions", token, {"action": "accept"}
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    event = dossier.events.get(action="accept")
    assert event.details["via"]["oauth_client"] == agency_client.application.client_id
    agency_client.refresh_from_db()
    assert agency_client.last_used_at is not None


def test_wrong_secret_wrong_grant_and_wrong_scope_get_no_token(client, world, client_a):
    agency_client, secret = client_a
    client_id = agency_client.application.client_id
    assert token_response(client, client_id, "nope").status_code == 401
    assert token_response(client, client_id, secret, scope="openid").status_code == 400
    assert token_response(client, client_id, secret, scope="profile").status_code == 400
    reader, reader_secret = create_oauth_client(world.agency_a, "r", [READ])
    refused = token_response(client, reader.application.client_id, reader_secret, scope=WRITE)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    assert not AccessToken.objects.exists()


def test_a_portal_cannot_use_client_credentials_nor_agency_scopes(client, world):
    from postgov.identity.tests.oidc_helpers import SECRET, make_rp

    make_rp(allowed_scopes=["openid", "profile", READ])
    response = token_response(client, "portal", SECRET)
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("unauthorized_client", "invalid_scope")
    assert not AccessToken.objects.exists()


def test_an_agency_never_sees_another_agencys_dossiers(client, world, client_a, client_b):
    mine = handed_over(world)
    theirs = sealed(world, agency=world.agency_b)
    token_b = get_token(client, *client_b)
    token_a = get_token(client, *client_a)
    assert [d["code"] for d in call(client, "get", "/dossiers", token_b).json()["items"]] == [
        theirs.code
    ]
    assert call(client, "get", f"/dossiers/{mine.code}", token_b).status_code == 404
    response = call(client, "post", f"/dossiers/{mine.code}/actions", token_b, {"action": "accept"})
    assert response.status_code == 404
    assert call(client, "get", f"/dossiers/{theirs.code}", token_a).status_code == 404
    mine.refresh_from_db()
    assert mine.status == State.HANDED_OVER


def test_a_read_only_token_is_refused_on_writes(client, world, reader_a):
    dossier = handed_over(world)
    token = get_token(client, *reader_a)
    assert call(client, "get", f"/dossiers/{dossier.code}", token).status_code == 200
    for path, body in (
        (f"/dossiers/{dossier.code}/actions", {"action": "accept"}),
        (f"/dossiers/{dossier.code}/acknowledge", {"reference": "MC-1"}),
        (f"/dossiers/{dossier.code}/results", {"note": "x"}),
    ):
        response = call(client, "post", path, token, body, HTTP_IDEMPOTENCY_KEY="k-ro")
        assert response.status_code == 403, path
        assert response["Content-Type"] == "application/problem+json"
        assert "agency.dossiers.write" in response.json()["detail"]
    assert not IdempotencyRecord.objects.exists()  # a refusal claims no key
    dossier.refresh_from_db()
    assert dossier.status == State.HANDED_OVER


def test_a_write_only_token_cannot_read(client, world):
    writer, secret = create_oauth_client(world.agency_a, "w", [WRITE])
    token = get_token(client, writer, secret)
    assert call(client, "get", "/dossiers", token).status_code == 403


def test_a_revoked_client_is_refused(client, world, client_a):
    agency_client, secret = client_a
    token = get_token(client, agency_client, secret)
    assert call(client, "get", "/dossiers", token).status_code == 200
    revoke_oauth_client(agency_client)
    assert call(client, "get", "/dossiers", token).status_code == 401
    assert token_response(client, agency_client.application.client_id, secret).status_code == 401
    assert AuditEvent.objects.filter(action="agency.oauth_client_revoked").exists()
    revoke_oauth_client(agency_client)  # twice: nothing more happens
    assert AuditEvent.objects.filter(action="agency.oauth_client_revoked").count() == 1


def test_an_expired_or_unknown_token_is_refused(client, world, client_a):
    token = get_token(client, *client_a)
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = call(client, "get", "/dossiers", token)
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"
    assert call(client, "get", "/dossiers", "x" * 30).status_code == 401
    assert call(client, "get", "/dossiers", "x" * 300).status_code == 401


def test_a_users_token_is_not_an_agency_credential(client, world, client_a):
    agency_client, _secret = client_a
    AccessToken.objects.create(
        user=world.agency_officer,
        application=agency_client.application,
        token="user-token-0123456789",
        scope=f"{READ} {WRITE}",
        expires=timezone.now() + timedelta(minutes=5),
    )
    assert call(client, "get", "/dossiers", "user-token-0123456789").status_code == 401


def test_idempotency_works_with_bearer_tokens(client, world, client_a):
    dossier = handed_over(world)
    token = get_token(client, *client_a)
    path = f"/dossiers/{dossier.code}/actions"
    one = call(client, "post", path, token, {"action": "accept"}, HTTP_IDEMPOTENCY_KEY="t-1")
    two = call(client, "post", path, token, {"action": "accept"}, HTTP_IDEMPOTENCY_KEY="t-1")
    assert one.status_code == two.status_code == 200
    assert two["Idempotent-Replayed"] == "true" and two.json() == one.json()
    assert dossier.events.filter(action="accept").count() == 1
    assert IdempotencyRecord.objects.get().agency_id == world.agency_a.pk
    # Keys are per agency: a second token of the same agency replays the same answer.
    other = get_token(client, *client_a)
    three = call(client, "post", path, other, {"action": "accept"}, HTTP_IDEMPOTENCY_KEY="t-1")
    assert three["Idempotent-Replayed"] == "true"


def test_agency_clients_list_their_scopes(world, client_a):
    assert AgencyClient.objects.get().scopes == [READ, WRITE]


def test_user_endpoints_do_not_take_a_machine_token(client, world, client_a):
    agency_client, secret = client_a
    token = get_token(client, agency_client, secret)
    userinfo = client.get(reverse("identity:oidc_userinfo"), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert userinfo.status_code in (401, 403)
    # No authorization (user) flow for a machine client: it has no redirect address.
    authorize = client.get(
        reverse("identity:oidc_authorize"),
        {
            "client_id": agency_client.application.client_id,
            "redirect_uri": "https://evil.example/cb",
            "response_type": "code",
            "scope": "openid",
        },
    )
    assert authorize.status_code == 400 and "Location" not in authorize
    # A refresh grant is not allowed to it either.
    refresh = token_response(
        client, agency_client.application.client_id, secret, grant_type="refresh_token"
    )
    assert refresh.status_code in (400, 401)


def test_discovery_lists_the_grant_and_the_scopes(client):
    data = client.get("/.well-known/openid-configuration").json()
    assert "client_credentials" in data["grant_types_supported"]
    assert {READ, WRITE} <= set(data["scopes_supported"])
