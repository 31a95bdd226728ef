"""Requests that used to answer 500 (found by tests/security/test_hostile_input.py):
each now gets the protocol's error, a refusal or the page it should."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from jwcrypto import jwk, jwt

from postgov.identity.tests.oidc_helpers import (
    REDIRECT,
    authorize,
    exchange,
    get_code,
    log_in_session,
    make_rp,
    query_of,
    rp,  # noqa: F401  (fixture)
    token_request,
)
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, citizen, rp):  # noqa: F811
    log_in_session(client, citizen)
    return client


# -- authorization request parameters ------------------------------------------------------
@pytest.mark.parametrize("max_age", ["²", "١٢٣", "𝟙𝟚𝟛"])
def test_max_age_in_digits_that_are_not_ascii_is_invalid(logged_in, max_age):
    query = query_of(authorize(logged_in, max_age=max_age))
    assert query["error"] == "invalid_request"


@pytest.mark.parametrize(
    "claims", ["[" * 2000 + "]" * 2000, '{"id_token":' + "[" * 1900 + "]" * 1900 + "}"]
)
def test_claims_nested_deeper_than_the_parser_goes_are_invalid(logged_in, claims):
    assert len(claims) <= 4096  # within the parameter's limit: the parser itself must cope
    query = query_of(authorize(logged_in, claims=claims))
    assert query["error"] == "invalid_request"


@pytest.mark.parametrize(
    "acr",
    [
        {"essential": True, "value": ["urn:postgov:loa:2"]},
        {"essential": True, "values": 7},
        {"essential": True, "values": [{}, ["urn:postgov:loa:2"], None]},
        {"essential": True, "value": {"a": 1}},
    ],
)
def test_an_essential_acr_of_the_wrong_type_asks_for_nothing(logged_in, acr):
    """Only strings are acr values: anything else is ignored, as an unknown value is."""
    code, query = get_code(logged_in, claims=json.dumps({"id_token": {"acr": acr}}))
    assert code and query["iss"]


# -- client authentication -----------------------------------------------------------------
@pytest.mark.parametrize("where", ["/oidc/token", "/oidc/revoke", "/oidc/introspect"])
def test_basic_credentials_that_are_not_ascii_are_refused(client, rp, where):  # noqa: F811
    response = client.post(
        where,
        {"grant_type": "authorization_code", "code": "x", "token": "x"},
        # Latin-1 as WSGI hands header bytes over: not base64, not even ASCII.
        HTTP_AUTHORIZATION="Basic Ã©Ã©",
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("exp", [float("inf"), float("-inf")])
def test_a_client_assertion_expiring_at_infinity_is_refused(client, citizen, settings, exp):
    key = jwk.JWK.generate(kty="EC", crv="P-256", kid="rp-key-1")
    make_rp(
        token_endpoint_auth_method="private_key_jwt",
        client_secret="",
        jwks={"keys": [json.loads(key.export_public())]},
    )
    log_in_session(client, citizen)
    code, _query = get_code(client)
    claims = {
        "iss": "portal",
        "sub": "portal",
        "aud": settings.OIDC_ISSUER + "/oidc/token",
        "jti": str(uuid.uuid4()),
        "exp": exp,  # json writes Infinity, which Python's json reads back
        "iat": int(time.time()),
    }
    assertion = jwt.JWT(header={"alg": "ES256", "kid": "rp-key-1"}, claims=json.dumps(claims))
    assertion.make_signed_token(key)
    response = token_request(
        client,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion.serialize(),
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


# -- where a login goes next ---------------------------------------------------------------
@pytest.mark.parametrize("next_url", ["profile", '"><img src=x>', "account"])
def test_a_next_that_is_not_a_path_goes_home(client, citizen, next_url):
    response = client.post(
        "/accounts/login/", {"username": "citizen", "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_resource_indicator_with_markup_comes_back_as_json(logged_in):
    """The library's resource check quotes the value; the answer must not be a page."""
    code, _query = get_code(logged_in)
    response = exchange(logged_in, code, resource="<script>alert(1)</script>")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json()["error"] == "invalid_target"
