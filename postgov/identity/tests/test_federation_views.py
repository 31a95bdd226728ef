"""Federation views' own checks (the full login runs against oidc-provider in tests/interop)."""

from __future__ import annotations

import pytest

from postgov.identity.models import UpstreamProvider
from postgov.identity.tests.oidc_helpers import make_rp

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(db):
    return UpstreamProvider.objects.create(
        slug="vneid",
        name="VNeID",
        issuer="https://idp.example",
        authorization_endpoint="https://idp.example/auth",
        token_endpoint="https://idp.example/token",
        jwks_uri="https://idp.example/jwks",
        client_id="postgov",
    )


def test_a_provider_the_portal_does_not_accept_is_refused(client, provider):
    make_rp()
    next_url = "/oidc/authorize?client_id=portal&redirect_uri=x"
    response = client.post("/accounts/login/with/vneid/", {"next": next_url})
    assert response["Location"].startswith("/accounts/login/?next=")


def test_start_redirects_with_pkce_state_and_nonce(client, provider):
    make_rp().upstream_providers.add(provider)
    response = client.post(
        "/accounts/login/with/vneid/", {"next": "/oidc/authorize?client_id=portal"}
    )
    location = response["Location"]
    assert location.startswith("https://idp.example/auth?")
    for part in ("code_challenge_method=S256", "state=", "nonce=", "client_id=postgov"):
        assert part in location


def test_callback_without_a_started_login_is_refused(client, provider):
    assert client.get("/accounts/login/with/vneid/callback/?code=x&state=y").status_code == 400


def test_login_page_shows_only_the_portals_providers(client, provider):
    make_rp().upstream_providers.add(provider)
    page = client.get("/accounts/login/?next=/oidc/authorize%3Fclient_id%3Dportal")
    assert "VNeID" in page.content.decode()
    assert "VNeID" not in client.get("/accounts/login/").content.decode()
