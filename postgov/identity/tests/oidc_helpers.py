"""Helpers for OpenID Connect tests: a relying party, the code flow, token checks."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from jwcrypto import jwk, jwt

from postgov.identity import authn
from postgov.identity.models import RelyingParty

SECRET = "s3cret-for-tests-only-0123456789abcdef"
REDIRECT = "https://portal.example.gov.vn/callback"
LOGOUT_REDIRECT = "https://portal.example.gov.vn/bye"


def make_rp(**extra) -> RelyingParty:
    fields = {
        "name": "Cổng thử",
        "client_id": "portal",
        "client_type": RelyingParty.CLIENT_CONFIDENTIAL,
        "token_endpoint_auth_method": "client_secret_basic",
        "client_secret": SECRET,
        "redirect_uris": REDIRECT,
        "post_logout_redirect_uris": LOGOUT_REDIRECT,
        "allowed_scopes": ["openid", "profile", "email", "phone", "address", "id_number"],
        "subject_type": RelyingParty.SubjectType.PUBLIC,
        **extra,
    }
    return RelyingParty.objects.create(**fields)


@pytest.fixture
def rp(db):
    return make_rp()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    return verifier, challenge


def auth_params(**extra) -> dict:
    params = {
        "client_id": "portal",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid profile",
        "state": "st-" + secrets.token_hex(4),
        "nonce": "n-" + secrets.token_hex(4),
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def authorize(client, **extra):
    return client.get("/oidc/authorize?" + urlencode(auth_params(**extra)))


def query_of(response) -> dict:
    assert response.status_code == 302, getattr(response, "content", b"")[:500]
    parts = urlsplit(response["Location"])
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


def consent_all(client, response):
    """Press 'Allow' on the consent page."""
    assert response.status_code == 200, response.content[:300]
    body = response.content.decode()
    marker = 'name="pending" value="'
    pending = body[body.index(marker) + len(marker) :].split('"', 1)[0]
    scopes = [
        s
        for s in ("openid", "profile", "email", "phone", "address", "id_number")
        if f'value="{s}"' in body
    ]
    return client.post(
        "/oidc/authorize/consent", {"pending": pending, "decision": "allow", "scope": scopes}
    )


def get_code(client, **extra) -> tuple[str, dict]:
    response = authorize(client, **extra)
    if response.status_code == 200:
        response = consent_all(client, response)
    query = query_of(response)
    assert "code" in query, query
    return query["code"], query


def basic(client_id="portal", secret=SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_request(client, data: dict, auth: str | None = None):
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return client.post("/oidc/token", data, **headers)


def exchange(client, code: str, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    return token_request(client, data, basic())


def verify_id_token(client, id_token: str) -> dict:
    keys = jwk.JWKSet.from_json(json.dumps(client.get("/oidc/jwks").json()))
    token = jwt.JWT(jwt=id_token, key=keys, algs=["RS256"])
    return json.loads(token.claims)


def log_in_session(client, user, *, mfa: bool | None = None, when: float | None = None):
    """A logged-in browser session with a known authentication time. `mfa`: whether the
    login included a second factor; by default as PostGov's login does (staff always)."""
    client.force_login(user)
    if mfa is None:
        mfa = authn.is_staff_member(user)
    session = client.session
    now = int(when or time.time())
    session[authn.AUTH] = {
        "time": now,
        "amr": ["pwd", "otp", "mfa"] if mfa else ["pwd"],
        "mfa_time": now if mfa else None,
        "sid": None,
        "via": "password",
        "level_cap": 2,
    }
    session[authn.REAUTH] = now
    session.save()
