"""OpenID Connect provider details an attacker could use: burning a leaked authorization
code, a dead refresh token reported active, pairwise subjects that move when a portal
adds a redirect URI."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from postgov.audit.models import AuditEvent
from postgov.identity import actions as identity_actions
from postgov.identity.access import Access
from postgov.identity.models import AuthorizationCode, ChangeRequest, RelyingParty
from postgov.identity.oidc.claims import subject_for
from postgov.identity.tests.oidc_helpers import (
    REDIRECT,
    basic,
    exchange,
    get_code,
    log_in_session,
    make_rp,
    pkce,
    token_request,
)
from tests.personas import make_national_admin

pytestmark = pytest.mark.django_db
NOON = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def portal(client, citizen):
    make_rp()
    log_in_session(client, citizen)
    return client


# -- a leaked code cannot be burnt ----------------------------------------------------------
def test_a_wrong_pkce_verifier_does_not_burn_the_code(portal):
    verifier, challenge = pkce()
    code, _q = get_code(portal, code_challenge=challenge, code_challenge_method="S256")
    stolen = exchange(portal, code, code_verifier="w" * 50)  # someone who saw the code
    assert stolen.json()["error"] == "invalid_grant"
    assert AuthorizationCode.objects.get(code=code).used_at is None
    mine = exchange(portal, code, code_verifier=verifier)  # the portal, right after
    assert mine.status_code == 200, mine.content
    assert not AuditEvent.objects.filter(action="oidc.code_reuse_detected").exists()


def test_a_missing_verifier_does_not_burn_the_code(portal):
    verifier, challenge = pkce()
    code, _q = get_code(portal, code_challenge=challenge, code_challenge_method="S256")
    assert exchange(portal, code).status_code == 400
    assert exchange(portal, code, code_verifier=verifier).status_code == 200


def test_a_wrong_redirect_uri_does_not_burn_the_code(portal):
    code, _q = get_code(portal)
    wrong = exchange(portal, code, redirect_uri="https://attacker.example/cb")
    assert wrong.status_code == 400
    assert AuthorizationCode.objects.get(code=code).used_at is None
    assert exchange(portal, code).status_code == 200


def test_a_code_redeemed_once_is_still_refused_and_revokes_what_it_issued(portal):
    code, _q = get_code(portal)
    first = exchange(portal, code)
    assert first.status_code == 200
    assert AuthorizationCode.objects.get(code=code).used_at is not None
    again = exchange(portal, code)
    assert again.json()["error"] == "invalid_grant"
    access = first.json()["access_token"]
    assert portal.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 401
    assert AuditEvent.objects.filter(action="oidc.code_reuse_detected").exists()


# -- introspection tells the truth about refresh tokens ---------------------------------------
def introspect(_browser, token: str) -> dict:
    """As the portal's server asks: its own credentials, no one's session."""
    portal_server = Client()
    return portal_server.post(
        "/oidc/introspect", {"token": token}, HTTP_AUTHORIZATION=basic()
    ).json()


def test_an_expired_refresh_token_is_inactive_at_introspection(client, citizen, settings):
    make_rp()
    with time_machine.travel(NOON, tick=False) as clock:
        log_in_session(client, citizen)
        code, _q = get_code(client)
        refresh = exchange(client, code).json()["refresh_token"]
        info = introspect(client, refresh)
        assert info["active"] is True
        lifetime = settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]
        lifetime += settings.OAUTH2_PROVIDER["REFRESH_TOKEN_EXPIRE_SECONDS"]
        assert info["exp"] == int(NOON.timestamp()) + lifetime
        clock.shift(lifetime - 60)
        assert introspect(client, refresh)["active"] is True  # still usable
        clock.shift(61)
        assert introspect(client, refresh) == {"active": False}
        # The token endpoint agrees: it is dead.
        grant = {"grant_type": "refresh_token", "refresh_token": refresh}
        assert token_request(Client(), grant, basic()).json()["error"] == "invalid_grant"


def test_a_revoked_refresh_token_is_inactive_at_introspection(portal):
    code, _q = get_code(portal)
    refresh = exchange(portal, code).json()["refresh_token"]
    portal.post("/oidc/revoke", {"token": refresh}, HTTP_AUTHORIZATION=basic())
    assert introspect(portal, refresh) == {"active": False}


# -- the pairwise sector is fixed ----------------------------------------------------------
def test_adding_a_redirect_uri_never_changes_the_subject(citizen):
    rp = make_rp(subject_type="pairwise", redirect_uris="https://portal.example.gov.vn/cb")
    before = subject_for(citizen, rp)
    assert rp.sector_identifier == "portal.example.gov.vn"  # stored, not computed each time
    rp.redirect_uris += "\nhttps://app.example.gov.vn/cb"  # a host sorting first
    rp.save()
    rp.refresh_from_db()
    assert subject_for(citizen, rp) == before


def test_the_sector_cannot_be_changed_once_saved(citizen):
    rp = make_rp(subject_type="pairwise", redirect_uris="https://portal.example.gov.vn/cb")
    rp.sector_identifier = "other.example"
    with pytest.raises(ValidationError) as raised:
        rp.full_clean()
    assert "sector_identifier" in raised.value.message_dict
    rp.sector_identifier = ""
    with pytest.raises(ValidationError):
        rp.full_clean()


def test_an_explicit_sector_is_kept(citizen):
    a = make_rp(client_id="a", subject_type="pairwise", sector_identifier="tinh.gov.vn")
    b = make_rp(
        client_id="b",
        subject_type="pairwise",
        sector_identifier="tinh.gov.vn",
        redirect_uris="https://other.example/cb",
    )
    assert subject_for(citizen, a) == subject_for(citizen, b)


@pytest.mark.django_db(transaction=True)
def test_the_migration_stores_the_sector_each_portal_computed(citizen):
    """Portals registered before the sector was stored keep every subject."""
    executor = MigrationExecutor(connection)
    executor.migrate([("identity", "0007_change_requests")])
    old = executor.loader.project_state([("identity", "0007_change_requests")]).apps
    OldRelyingParty = old.get_model("identity", "RelyingParty")
    OldRelyingParty.objects.create(
        name="Cổng cũ",
        client_id="old-portal",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="https://z.example.gov.vn/cb https://b.example.gov.vn/cb",
        subject_type="pairwise",
        sector_identifier="",
        created=timezone.now(),
        updated=timezone.now(),
    )
    OldRelyingParty.objects.create(
        name="Máy",
        client_id="machine",
        client_type="confidential",
        authorization_grant_type="client-credentials",
        redirect_uris="",
        sector_identifier="",
        created=timezone.now(),
        updated=timezone.now(),
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    sectors = dict(RelyingParty.objects.values_list("client_id", "sector_identifier"))
    assert sectors == {"old-portal": "b.example.gov.vn", "machine": "machine"}


def test_every_portal_gets_a_sector_whoever_creates_it(db):
    rp = RelyingParty.objects.create(
        name="x", client_id="x", client_type="confidential", redirect_uris=REDIRECT
    )
    assert rp.sector_identifier == "portal.example.gov.vn"


def test_the_admin_cannot_move_a_portals_sector(client, national_admin):
    rp = make_rp(subject_type="pairwise", redirect_uris="https://portal.example.gov.vn/cb")
    log_in_session(client, national_admin, mfa=True)
    form = {
        "name": rp.name,
        "description": "",
        "active": "on",
        "client_id": rp.client_id,
        "client_type": rp.client_type,
        "token_endpoint_auth_method": rp.token_endpoint_auth_method,
        "jwks": "",
        "redirect_uris": rp.redirect_uris + "\nhttps://app.example.gov.vn/cb",
        "post_logout_redirect_uris": rp.post_logout_redirect_uris,
        "allowed_scopes": ["profile"],
        "min_level": "1",
        "subject_type": "pairwise",
        "sector_identifier": "app.example.gov.vn",
    }
    url = reverse("admin:identity_relyingparty_change", args=[rp.pk])
    response = client.post(url, form)
    assert response.status_code == 200  # the form again, with the reason
    assert "portal.example.gov.vn" in response.content.decode()
    rp.refresh_from_db()
    assert rp.sector_identifier == "portal.example.gov.vn"
    assert "app.example.gov.vn/cb" not in rp.redirect_uris
    form["sector_identifier"] = "portal.example.gov.vn"  # a new redirect URI alone is fine
    assert client.post(url, form).status_code == 302
    # It takes effect once a second national administrator approves it.
    approver = make_national_admin("admin_vn2", "Lê Thị Hai")
    request = RequestFactory().post("/admin/")
    request.user, request.access = approver, Access.for_user(approver)
    identity_actions.approve_change(request, ChangeRequest.objects.get().pk)
    rp.refresh_from_db()
    assert "app.example.gov.vn/cb" in rp.redirect_uris
    assert rp.sector_identifier == "portal.example.gov.vn"
