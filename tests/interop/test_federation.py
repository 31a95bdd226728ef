"""Upstream federation against a second, independent OpenID provider (panva's
oidc-provider in node) over loopback: the external identity is linked to the PostID
account by the verified ID number it asserts, never to a self-declared one."""

from __future__ import annotations

import re

import pytest
import requests

from postgov.audit.models import AuditEvent
from postgov.identity.federation import set_client_secret
from postgov.identity.models import ExternalIdentity, Level, RelyingParty, UpstreamProvider
from tests.interop.node import NodeProcess, free_port

PORTAL = "https://portal.example.gov.vn/cb"
UPSTREAM_SECRET = "upstream-secret-0123456789abcdefghij"


def csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.fixture
def upstream(live_server, settings):
    settings.OIDC_ISSUER = live_server.url
    port = free_port()
    process = NodeProcess(
        "upstream.mjs",
        str(port),
        "postgov",
        UPSTREAM_SECRET,
        live_server.url + "/accounts/login/with/vneid/callback/",
        "vneid-user-1",
        "045090123456",
    )
    line = process.read_line()
    assert line.startswith("ready"), line
    issuer = f"http://127.0.0.1:{port}"
    meta = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
    provider = UpstreamProvider(
        slug="vneid",
        name="VNeID (thử)",
        issuer=meta["issuer"],
        authorization_endpoint=meta["authorization_endpoint"],
        token_endpoint=meta["token_endpoint"],
        jwks_uri=meta["jwks_uri"],
        client_id="postgov",
        scopes="openid id_number",
        id_number_claim="id_number",
        max_level=2,
    )
    set_client_secret(provider, UPSTREAM_SECRET)
    provider.save()
    rp = RelyingParty.objects.create(
        name="Cổng",
        client_id="portal",
        client_type="confidential",
        client_secret="x" * 40,
        redirect_uris=PORTAL,
        allowed_scopes=["openid", "profile"],
        skip_authorization=True,
    )
    rp.upstream_providers.add(provider)
    yield provider
    process.stop()


def run_federated_login(live_server) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    authorize = (
        live_server.url
        + "/oidc/authorize?"
        + requests.compat.urlencode(
            {
                "client_id": "portal",
                "redirect_uri": PORTAL,
                "response_type": "code",
                "scope": "openid profile",
                "state": "s1",
                "nonce": "n1",
            }
        )
    )
    response = browser.get(authorize, allow_redirects=False)
    login_page = browser.get(live_server.url + response.headers["Location"])
    assert "VNeID" in login_page.text  # the portal allows it, so the button is there
    next_url = (
        re.search(r'name="next" value="([^"]+)"', login_page.text).group(1).replace("&amp;", "&")
    )
    response = browser.post(
        live_server.url + "/accounts/login/with/vneid/",
        data={"csrfmiddlewaretoken": csrf(login_page.text), "next": next_url},
        allow_redirects=False,
        headers={"Referer": login_page.url},
    )
    for _ in range(15):
        location = response.headers.get("Location", "")
        if response.status_code not in (301, 302, 303) or location.startswith(PORTAL):
            break
        response = browser.get(
            requests.compat.urljoin(response.url, location), allow_redirects=False
        )
    return browser, response


@pytest.mark.django_db(transaction=True)
def test_federated_login_links_by_verified_id_number(live_server, upstream, citizen):
    citizen.level, citizen.verified_id_number = Level.VERIFIED, "045090123456"
    citizen.save()
    _browser, response = run_federated_login(live_server)
    assert response.headers.get("Location", "").startswith(PORTAL + "?code="), (
        response.status_code,
        response.text[:500],
    )
    link = ExternalIdentity.objects.get(provider=upstream)
    assert link.user == citizen and link.subject == "vneid-user-1"
    assert AuditEvent.objects.filter(action="federation.linked", actor_id=citizen.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_federated_login_refuses_a_self_declared_number(live_server, upstream, citizen):
    citizen.declared_id_number = "045090123456"  # typed at registration, never checked
    citizen.save()
    _browser, response = run_federated_login(live_server)
    assert response.status_code == 403
    assert not ExternalIdentity.objects.exists()
