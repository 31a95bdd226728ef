"""Hostile input on the OpenID endpoints: any parameters, never a 500, never a redirect
to an address that is not registered."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postgov.identity.tests.oidc_helpers import REDIRECT, basic, log_in_session, make_rp

NAMES = [
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "prompt",
    "max_age",
    "acr_values",
    "claims",
    "code_challenge",
    "code_challenge_method",
    "id_token_hint",
    "request",
    "response_mode",
    "login_hint",
    "ui_locales",
]
VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "portal",
            REDIRECT,
            "code",
            "openid profile",
            "none",
            "login",
            "S256",
            "{}",
            '{"id_token":{"acr":{"essential":true}}}',
            "urn:postgov:loa:2",
            "0",
            "-5",
            "x" * 5000,
            "a\x00b",
        ]
    ),
)
PARAMS = st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=10)
HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def session(client, citizen, db):
    make_rp()
    log_in_session(client, citizen)
    return client


@HYPOTHESIS
@given(params=PARAMS)
def test_authorize_never_fails_or_redirects_elsewhere(session, params):
    response = session.get("/oidc/authorize?" + urlencode(params))
    assert response.status_code in (200, 302, 400, 403)
    if response.status_code == 302:
        location = response["Location"]
        assert location.startswith(REDIRECT + "?") or location.startswith("/accounts/"), location


@HYPOTHESIS
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "grant_type",
                "code",
                "redirect_uri",
                "refresh_token",
                "code_verifier",
                "client_id",
                "client_secret",
                "client_assertion",
                "client_assertion_type",
                "scope",
            ]
        ),
        VALUES,
        max_size=8,
    )
)
def test_token_endpoint_never_fails(session, data):
    response = session.post("/oidc/token", data, HTTP_AUTHORIZATION=basic())
    assert 200 <= response.status_code < 500


@HYPOTHESIS
@given(
    params=st.dictionaries(
        st.sampled_from(["id_token_hint", "client_id", "post_logout_redirect_uri", "state"]),
        VALUES,
        max_size=4,
    )
)
def test_logout_never_fails_or_redirects_elsewhere(session, params):
    response = session.get("/oidc/logout?" + urlencode(params))
    assert response.status_code in (200, 302, 400)
    if response.status_code == 302:
        assert response["Location"].startswith("https://portal.example.gov.vn/bye")


@HYPOTHESIS
@given(token=VALUES)
def test_userinfo_and_introspection_never_fail(session, token):
    assert session.get(
        "/oidc/userinfo", HTTP_AUTHORIZATION="Bearer " + token.replace("\n", "")
    ).status_code in (400, 401, 403)
    assert session.post(
        "/oidc/introspect", {"token": token}, HTTP_AUTHORIZATION=basic()
    ).status_code in (200, 400)
