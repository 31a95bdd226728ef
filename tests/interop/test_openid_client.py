"""End to end with a real, independent relying party: panva's openid-client (node) does
discovery, the PKCE code flow, the token request, ID-token validation (signature included)
and userinfo against PostID served by live_server, over loopback HTTP."""

from __future__ import annotations

import re

import pytest
import requests

from postgov.identity.models import RelyingParty
from tests.interop.node import NodeProcess
from tests.personas import PASSWORD

SECRET = "interop-secret-0123456789abcdefghijklmnop"
REDIRECT = "http://127.0.0.1:9/callback"  # never served: the test catches the redirect


def csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def follow_until_callback(session: requests.Session, response: requests.Response) -> str:
    for _ in range(10):
        location = response.headers.get("Location", "")
        if location.startswith(REDIRECT):
            return location
        if response.status_code not in (301, 302, 303):
            return ""
        response = session.get(
            requests.compat.urljoin(response.url, location), allow_redirects=False
        )
    return ""


@pytest.mark.django_db(transaction=True)
def test_openid_client_code_flow_over_loopback(live_server, settings, citizen):
    settings.OIDC_ISSUER = live_server.url
    RelyingParty.objects.create(
        name="openid-client",
        client_id="node-rp",
        client_type="confidential",
        token_endpoint_auth_method="client_secret_basic",
        client_secret=SECRET,
        redirect_uris=REDIRECT,
        allowed_scopes=["openid", "profile", "email", "phone"],
        subject_type="pairwise",
        skip_authorization=False,
    )
    rp = NodeProcess("rp.mjs", live_server.url, "node-rp", SECRET, REDIRECT)
    try:
        start = rp.read_json()
        assert "authorize" in start, start
        browser = requests.Session()
        response = browser.get(start["authorize"], allow_redirects=False)
        login_page = browser.get(live_server.url + response.headers["Location"])
        response = browser.post(
            login_page.url,
            data={
                "csrfmiddlewaretoken": csrf(login_page.text),
                "username": "citizen",
                "password": PASSWORD,
                "next": re.search(r'name="next" value="([^"]+)"', login_page.text)
                .group(1)
                .replace("&amp;", "&"),
            },
            allow_redirects=False,
            headers={"Referer": login_page.url},
        )
        consent = browser.get(live_server.url + response.headers["Location"], allow_redirects=False)
        assert consent.status_code == 200, consent.text[:300]
        pending = re.search(r'name="pending" value="([^"]+)"', consent.text).group(1)
        response = browser.post(
            live_server.url + "/oidc/authorize/consent",
            data={
                "csrfmiddlewaretoken": csrf(consent.text),
                "pending": pending,
                "decision": "allow",
                "scope": ["openid", "profile", "email", "phone"],
            },
            allow_redirects=False,
            headers={"Referer": consent.url},
        )
        callback = follow_until_callback(browser, response)
        assert callback.startswith(REDIRECT + "?code="), response.text[:300]
        rp.send({"callback": callback})
        answer = rp.read_json()
    finally:
        rp.stop()
    assert "result" in answer, answer
    result = answer["result"]
    assert result["issuer"] == live_server.url
    assert result["claims"]["aud"] == "node-rp"
    assert result["claims"]["acr"] == "urn:postgov:loa:1"
    assert result["userinfo"]["sub"] == result["claims"]["sub"] == result["refreshed_sub"]
    assert result["userinfo"]["name"] == "Ngô Văn Nam"
    assert result["userinfo"]["phone_number"] == "+84912345678"
    assert result["rotated"] is True
