"""OpenID Connect provider details an attacker could use: burning a leaked authorization
code, a dead refresh token reported active, pairwise subjects that move when a portal
adds a redirect URI."""

from __future__ import annotations

import datetime

import pytest

from postgov.audit.models import AuditEvent
from postgov.identity.models import AuthorizationCode
from postgov.identity.tests.oidc_helpers import (
    exchange,
    get_code,
    log_in_session,
    make_rp,
    pkce,
)

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
