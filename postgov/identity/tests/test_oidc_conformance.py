"""OpenID Connect behaviour, one test per OpenID Foundation conformance-suite module it
mirrors (oidcc-basic-certification-test-plan, RP-initiated logout, config plan), plus
our own rules (levels, consent, pairwise subjects, bad input)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import checks
from django.utils import timezone

from postgov.audit.models import AuditEvent
from postgov.identity import authn
from postgov.identity.models import AuthorizationCode, Consent, Level
from postgov.identity.oidc.keys import rotate_signing_key
from postgov.identity.tests.oidc_helpers import (
    LOGOUT_REDIRECT,
    REDIRECT,
    auth_params,
    authorize,
    basic,
    consent_all,
    exchange,
    get_code,
    log_in_session,
    make_rp,
    pkce,
    query_of,
    rp,  # noqa: F401  (fixture)
    token_request,
    verify_id_token,
)
from tests.personas import PASSWORD, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, citizen, rp):  # noqa: F811
    log_in_session(client, citizen)
    return client


def full_flow(client, **extra) -> dict:
    code, query = get_code(client, **extra)
    response = exchange(client, code)
    assert response.status_code == 200, response.content
    tokens = response.json()
    tokens["claims"] = verify_id_token(client, tokens["id_token"])
    tokens["query"] = query
    return tokens


def half_hash(value: str) -> str:
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


# -- discovery and keys -------------------------------------------------------------------
def test_oidcc_discovery_endpoint_verification(client, settings):
    data = client.get("/.well-known/openid-configuration").json()
    assert data["issuer"] == settings.OIDC_ISSUER
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
    ):
        assert data[key].startswith(settings.OIDC_ISSUER + "/")
    assert data["response_types_supported"] == ["code"]
    assert set(data["subject_types_supported"]) == {"public", "pairwise"}
    assert data["id_token_signing_alg_values_supported"] == ["RS256"]
    assert {"client_secret_basic", "client_secret_post", "private_key_jwt"} <= set(
        data["token_endpoint_auth_methods_supported"]
    )
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert data["acr_values_supported"] == ["urn:postgov:loa:1", "urn:postgov:loa:2"]
    assert "id_number" in data["scopes_supported"]


def test_oidcc_server(logged_in):
    tokens = full_flow(logged_in)
    claims = tokens["claims"]
    assert tokens["token_type"] == "Bearer"
    assert claims["aud"] == "portal"
    assert claims["iss"] == "http://127.0.0.1:8000"
    assert claims["sub"] and claims["exp"] > time.time()
    assert tokens["query"]["iss"] == "http://127.0.0.1:8000"  # RFC 9207
    assert "refresh_token" in tokens


def test_oidcc_idtoken_rs256_and_at_hash(logged_in):
    tokens = full_flow(logged_in)
    header = tokens["id_token"].split(".")[0]
    assert b'"RS256"' in base64.urlsafe_b64decode(header + "==")
    assert tokens["claims"]["at_hash"] == half_hash(tokens["access_token"])
    # c_hash belongs to hybrid flows, which are not offered (response_type=code only).
    assert "c_hash" not in tokens["claims"]


def test_oidcc_ensure_request_with_valid_nonce_is_returned(logged_in):
    tokens = full_flow(logged_in, nonce="my-nonce-123")
    assert tokens["claims"]["nonce"] == "my-nonce-123"


def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(logged_in):
    tokens = full_flow(logged_in, nonce=None)
    assert "nonce" not in tokens["claims"]


def test_oidcc_ensure_other_scope_order_succeeds(logged_in):
    tokens = full_flow(logged_in, scope="email openid profile")
    assert set(tokens["scope"].split()) == {"openid", "profile", "email"}


def test_oidcc_ensure_request_with_unknown_parameter_succeeds(logged_in):
    full_flow(logged_in, extra="foobar")


def test_oidcc_state_is_returned(logged_in):
    _code, query = get_code(logged_in, state="abc-123")
    assert query["state"] == "abc-123"


def test_authorization_responses_name_the_issuer_once(logged_in, settings):
    """RFC 9207: success and error responses both carry `iss`, exactly once."""
    response = authorize(logged_in)
    if response.status_code == 200:
        response = consent_all(logged_in, response)
    refused = authorize(logged_in, code_challenge_method="plain")
    for redirect in (response, refused):
        assert redirect.status_code == 302
        query = parse_qs(urlsplit(redirect["Location"]).query)
        assert query["iss"] == [settings.OIDC_ISSUER]
    assert "code" in parse_qs(urlsplit(response["Location"]).query)
    assert "error" in parse_qs(urlsplit(refused["Location"]).query)


def test_rfc9700_deploy_checks_pass_with_production_redirect_schemes(settings):
    """Under `check --deploy`, django-oauth-toolkit's RFC 9700 checks find nothing once
    redirect URIs are https only (as production sets them); on a developer's machine the
    one left is the `http` scheme kept for local portals."""

    def findings() -> set[str]:
        return {
            message.id
            for message in checks.run_checks(include_deployment_checks=True, tags=["security"])
            if message.id and message.id.startswith("oauth2_provider.")
        }

    assert findings() <= {"oauth2_provider.W008"}
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    }
    assert findings() == set()


# -- redirect URIs and bad input ----------------------------------------------------------
@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example/callback",
        REDIRECT + "/extra",
        REDIRECT + "?x=1",
        REDIRECT.replace("https", "http"),
        REDIRECT + "#frag",
        "https://portal.example.gov.vn:444/callback",
    ],
)
def test_oidcc_ensure_registered_redirect_uri(logged_in, uri):
    response = authorize(logged_in, redirect_uri=uri)
    assert response.status_code == 400
    assert "Location" not in response
    assert "không" in response.content.decode().lower() or "not" in response.content.decode()


def test_oidcc_ensure_redirect_uri_in_authorization_request(logged_in):
    response = authorize(logged_in, redirect_uri=None)
    assert response.status_code == 400 and "Location" not in response


def test_unknown_client_never_redirects(logged_in):
    response = authorize(logged_in, client_id="nobody")
    assert response.status_code == 400 and "Location" not in response


def test_oidcc_response_type_missing(logged_in):
    query = query_of(authorize(logged_in, response_type=None))
    assert query["error"] == "invalid_request"


def test_unsupported_response_types_are_refused(logged_in):
    for value in ("token", "id_token", "code id_token", "code token"):
        assert (
            query_of(authorize(logged_in, response_type=value))["error"]
            == "unsupported_response_type"
        )


@pytest.mark.parametrize(
    "extra,error",
    [
        ({"state": "x" * 5000}, "invalid_request"),
        ({"nonce": "n" * 300}, "invalid_request"),
        ({"nonce": "bad\x00nonce"}, "invalid_request"),
        ({"max_age": "-1"}, "invalid_request"),
        ({"max_age": "abc"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"prompt": "weird"}, "invalid_request"),
        ({"claims": "{not json"}, "invalid_request"),
        ({"claims": "[1,2]"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://evil.example/r"}, "request_uri_not_supported"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": "profile email"}, "invalid_scope"),
        ({"response_mode": "fragment"}, "invalid_request"),
    ],
)
def test_malformed_parameters_get_spec_errors_never_500(logged_in, extra, error):
    response = authorize(logged_in, **extra)
    assert response.status_code == 302
    query = query_of(response)
    assert query["error"] == error
    assert response["Location"].startswith(REDIRECT + "?")


def test_duplicate_parameters_are_refused(logged_in):
    response = logged_in.get(
        "/oidc/authorize?"
        + "&".join(f"{k}={v}" for k, v in auth_params().items())
        + "&scope=openid"
    )
    assert query_of(response)["error"] == "invalid_request"


def test_token_endpoint_bad_input_never_500(client, rp):  # noqa: F811
    for data in (
        {"grant_type": "password", "username": "x", "password": "y"},
        {"grant_type": "authorization_code", "code": "x\x00y"},
        {"grant_type": "authorization_code", "code": "c" * 9000},
        {"grant_type": "refresh_token", "refresh_token": "nope"},
        {},
    ):
        response = token_request(client, data, basic())
        assert 400 <= response.status_code < 500
        assert "error" in response.json()


def test_unknown_scopes_are_ignored(logged_in):
    tokens = full_flow(logged_in, scope="openid profile made_up_scope")
    assert tokens["scope"].split() == ["openid", "profile"]


# -- codes --------------------------------------------------------------------------------
def test_oidcc_codereuse(logged_in):
    code, _q = get_code(logged_in)
    first = exchange(logged_in, code)
    assert first.status_code == 200
    access = first.json()["access_token"]
    refresh = first.json()["refresh_token"]
    second = exchange(logged_in, code)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    # The tokens issued from the first use are revoked.
    assert logged_in.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 401
    again = token_request(
        logged_in, {"grant_type": "refresh_token", "refresh_token": refresh}, basic()
    )
    assert again.status_code == 400
    assert AuditEvent.objects.filter(action="oidc.code_reuse_detected").exists()


def test_oidcc_codereuse_30seconds_and_code_lifetime(logged_in):
    code, _q = get_code(logged_in)
    grant = AuthorizationCode.objects.get(code=code)
    assert (grant.expires - grant.created).total_seconds() <= 60
    AuthorizationCode.objects.filter(pk=grant.pk).update(
        expires=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert exchange(logged_in, code).json()["error"] == "invalid_grant"


def test_code_is_bound_to_client_and_redirect_uri(logged_in):
    make_rp(client_id="other", redirect_uris="https://other.example/cb")
    code, _q = get_code(logged_in)
    stolen = token_request(
        logged_in,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        basic("other"),
    )
    assert stolen.status_code in (400, 401)
    code, _q = get_code(logged_in)
    assert exchange(logged_in, code, redirect_uri=REDIRECT + "x").json()["error"] in (
        "invalid_request",
        "invalid_grant",
    )


# -- PKCE and client authentication --------------------------------------------------------
@pytest.fixture
def public_rp(db):
    return make_rp(
        client_id="spa", client_type="public", token_endpoint_auth_method="none", client_secret=""
    )


def test_public_client_must_use_pkce_s256(client, citizen, public_rp):
    log_in_session(client, citizen)
    assert query_of(authorize(client, client_id="spa"))["error"] == "invalid_request"
    verifier, challenge = pkce()
    code, _q = get_code(
        client, client_id="spa", code_challenge=challenge, code_challenge_method="S256"
    )
    wrong = token_request(
        client,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "spa",
            "code_verifier": "x" * 50,
        },
    )
    assert wrong.json()["error"] == "invalid_grant"
    code, _q = get_code(
        client, client_id="spa", code_challenge=challenge, code_challenge_method="S256"
    )
    ok = token_request(
        client,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "spa",
            "code_verifier": verifier,
        },
    )
    assert ok.status_code == 200, ok.content


def test_oidcc_ensure_request_with_valid_pkce_succeeds(logged_in):
    verifier, challenge = pkce()
    code, _q = get_code(logged_in, code_challenge=challenge, code_challenge_method="S256")
    assert exchange(logged_in, code, code_verifier=verifier).status_code == 200


def test_pkce_downgrade_is_refused(logged_in):
    code, _q = get_code(logged_in)
    assert exchange(logged_in, code, code_verifier="v" * 50).status_code == 400


def test_oidcc_server_client_secret_post(client, citizen, db):
    make_rp(token_endpoint_auth_method="client_secret_post")
    log_in_session(client, citizen)
    code, _q = get_code(client)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    # Registered for client_secret_post: basic authentication is refused.
    assert token_request(client, data, basic()).status_code == 401
    code, _q = get_code(client)
    data["code"] = code
    ok = token_request(
        client,
        {**data, "client_id": "portal", "client_secret": "s3cret-for-tests-only-0123456789abcdef"},
    )
    assert ok.status_code == 200, ok.content


def test_wrong_secret_is_invalid_client(logged_in):
    code, _q = get_code(logged_in)
    response = token_request(
        logged_in,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        basic(secret="wrong"),
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_private_key_jwt(client, citizen, db, settings):
    import json
    import uuid

    from jwcrypto import jwk, jwt

    key = jwk.JWK.generate(kty="RSA", size=2048, kid="rp-key-1")
    make_rp(
        token_endpoint_auth_method="private_key_jwt",
        client_secret="",
        jwks={"keys": [json.loads(key.export_public())]},
    )
    log_in_session(client, citizen)

    def assertion(**over):
        claims = {
            "iss": "portal",
            "sub": "portal",
            "aud": settings.OIDC_ISSUER + "/oidc/token",
            "jti": str(uuid.uuid4()),
            "exp": int(time.time()) + 60,
            "iat": int(time.time()),
            **over,
        }
        token = jwt.JWT(header={"alg": "RS256", "kid": "rp-key-1"}, claims=claims)
        token.make_signed_token(key)
        return token.serialize()

    def exchange_with(code, signed):
        return token_request(
            client,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": signed,
            },
        )

    code, _q = get_code(client)
    signed = assertion()
    assert exchange_with(code, signed).status_code == 200
    code, _q = get_code(client)
    assert exchange_with(code, signed).status_code == 401  # replayed jti
    code, _q = get_code(client)
    assert exchange_with(code, assertion(aud="https://elsewhere")).status_code == 401
    other = jwk.JWK.generate(kty="RSA", size=2048, kid="rp-key-1")
    token = jwt.JWT(
        header={"alg": "RS256", "kid": "rp-key-1"},
        claims={
            "iss": "portal",
            "sub": "portal",
            "aud": settings.OIDC_ISSUER + "/oidc/token",
            "jti": "z",
            "exp": int(time.time()) + 60,
        },
    )
    token.make_signed_token(other)
    code, _q = get_code(client)
    assert exchange_with(code, token.serialize()).status_code == 401


# -- prompt, max_age, acr --------------------------------------------------------------------
def test_oidcc_prompt_none_not_logged_in(client, rp):  # noqa: F811
    response = authorize(client, prompt="none")
    query = query_of(response)
    assert query["error"] == "login_required"
    assert query["state"]
    assert response["Location"].startswith(REDIRECT)


def test_oidcc_prompt_none_logged_in(logged_in, citizen, rp):  # noqa: F811
    full_flow(logged_in)  # consent given once
    response = authorize(logged_in, prompt="none")
    assert "code" in query_of(response)


def test_prompt_none_without_consent_is_consent_required(logged_in):
    assert query_of(authorize(logged_in, prompt="none"))["error"] == "consent_required"


def test_not_logged_in_goes_to_login(client, rp):  # noqa: F811
    response = authorize(client)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def _login_via_form(client, username, next_url, force=False):
    data = {"username": username, "password": PASSWORD, "next": next_url}
    if force:
        data["force"] = "1"
    response = client.post("/accounts/login/", data)
    if response["Location"] == "/accounts/login/verify/":
        response = client.post(
            "/accounts/login/verify/", {"method": "totp", "code": totp_code(), "action": "verify"}
        )
    return response


def test_oidcc_prompt_login(client, citizen, rp):  # noqa: F811
    log_in_session(client, citizen, when=time.time() - 100)
    first = full_flow(client)
    response = authorize(client, prompt="login")
    assert response.status_code == 302 and "force=1" in response["Location"]
    next_url = response["Location"].split("next=")[1].split("&")[0]
    from urllib.parse import unquote

    back = _login_via_form(client, "citizen", unquote(next_url), force=True)
    code = query_of(client.get(back["Location"]))["code"]
    claims = verify_id_token(client, exchange(client, code).json()["id_token"])
    assert claims["auth_time"] > first["claims"]["auth_time"]


def test_oidcc_max_age_1(client, citizen, rp):  # noqa: F811
    log_in_session(client, citizen, when=time.time() - 5)
    full_flow(client)
    response = authorize(client, max_age="1")
    assert "force=1" in response["Location"]
    from urllib.parse import unquote

    back = _login_via_form(
        client, "citizen", unquote(response["Location"].split("next=")[1].split("&")[0]), force=True
    )
    code = query_of(client.get(back["Location"]))["code"]
    claims = verify_id_token(client, exchange(client, code).json()["id_token"])
    assert time.time() - claims["auth_time"] < 5


def test_oidcc_max_age_10000(client, citizen, rp):  # noqa: F811
    log_in_session(client, citizen, when=time.time() - 50)
    tokens = full_flow(client, max_age="10000")
    assert "auth_time" in tokens["claims"]


def test_max_age_with_prompt_none_is_login_required(client, citizen, rp):  # noqa: F811
    log_in_session(client, citizen, when=time.time() - 50)
    full_flow(client)
    assert query_of(authorize(client, prompt="none", max_age="1"))["error"] == "login_required"


def test_oidcc_ensure_request_with_acr_values_succeeds(logged_in):
    tokens = full_flow(logged_in, acr_values="urn:postgov:loa:1 urn:postgov:loa:2")
    assert tokens["claims"]["acr"] == "urn:postgov:loa:1"


def test_level_2_request_fails_properly_for_a_level_1_account(logged_in):
    response = authorize(logged_in, acr_values="urn:postgov:loa:2")
    assert response.status_code == 403  # an explanatory page, with a way back
    assert "unmet_authentication_requirements" in response.content.decode()
    assert (
        query_of(authorize(logged_in, acr_values="urn:postgov:loa:2", prompt="none"))["error"]
        == "unmet_authentication_requirements"
    )


def test_level_2_request_steps_up_a_level_2_account(client, citizen, rp, settings):  # noqa: F811
    citizen.level, citizen.verified_id_number = Level.VERIFIED, "045090123456"
    citizen.sms_login = True  # SMS is a second factor only when the citizen turned it on
    citizen.save()
    log_in_session(client, citizen)
    response = authorize(client, acr_values="urn:postgov:loa:2")
    assert response["Location"].startswith("/accounts/login/step-up/")
    assert (
        query_of(authorize(client, acr_values="urn:postgov:loa:2", prompt="none"))["error"]
        == "interaction_required"
    )
    from postgov.identity.otp import check_code  # noqa: F401
    from postgov.notify.models import Message

    step_up = response["Location"]
    client.post(step_up, {"action": "send_sms"})
    sms = Message.objects.filter(recipient=citizen.phone).latest("created_at")
    code = sms.outgoing()[1].split("la ")[1][:6]
    back = client.post(step_up, {"method": "sms", "code": code, "action": "verify"})
    final = client.get(back["Location"])
    if final.status_code == 200:
        from postgov.identity.tests.oidc_helpers import consent_all

        final = consent_all(client, final)
    code = query_of(final)["code"]
    claims = verify_id_token(client, exchange(client, code).json()["id_token"])
    assert claims["acr"] == "urn:postgov:loa:2"
    assert "mfa" in claims["amr"]


def test_relying_party_minimum_level_applies_without_acr_values(client, citizen, db):
    make_rp(min_level=2)
    log_in_session(client, citizen)
    assert authorize(client).status_code == 403


# -- consent ----------------------------------------------------------------------------------
def test_consent_is_remembered_per_portal_and_scope(logged_in, citizen):
    full_flow(logged_in, scope="openid profile")
    assert Consent.objects.get(user=citizen).scopes == ["openid", "profile"]
    assert "code" in query_of(authorize(logged_in, scope="openid profile"))
    # A new scope asks again.
    assert authorize(logged_in, scope="openid profile email").status_code == 200
    # prompt=consent always asks.
    assert authorize(logged_in, scope="openid profile", prompt="consent").status_code == 200


def test_consent_denied_is_access_denied(logged_in):
    page = authorize(logged_in)
    body = page.content.decode()
    pending = body.split('name="pending" value="')[1].split('"')[0]
    response = logged_in.post("/oidc/authorize/consent", {"pending": pending, "decision": "deny"})
    assert query_of(response)["error"] == "access_denied"


def test_consent_form_cannot_be_replayed_by_another_user(client, citizen, outsider, rp):  # noqa: F811
    log_in_session(client, citizen)
    body = authorize(client).content.decode()
    pending = body.split('name="pending" value="')[1].split('"')[0]
    log_in_session(client, outsider)
    response = client.post("/oidc/authorize/consent", {"pending": pending, "decision": "allow"})
    assert response.status_code == 400


# -- userinfo and claims ---------------------------------------------------------------------
def test_oidcc_userinfo_get(logged_in, citizen):
    tokens = full_flow(logged_in)
    data = logged_in.get(
        "/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    ).json()
    assert data["sub"] == tokens["claims"]["sub"]
    assert data["name"] == "Ngô Văn Nam"
    assert data["family_name"] == "Ngô" and data["given_name"] == "Nam"


def test_oidcc_userinfo_post_header(logged_in):
    tokens = full_flow(logged_in)
    response = logged_in.post(
        "/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    )
    assert response.json()["sub"] == tokens["claims"]["sub"]


def test_oidcc_userinfo_post_body(logged_in):
    tokens = full_flow(logged_in)
    response = logged_in.post("/oidc/userinfo", {"access_token": tokens["access_token"]})
    assert response.json()["sub"] == tokens["claims"]["sub"]


def test_userinfo_refuses_token_in_query_and_bad_tokens(logged_in):
    tokens = full_flow(logged_in)
    assert logged_in.get("/oidc/userinfo?access_token=" + tokens["access_token"]).status_code == 400
    bad = logged_in.get("/oidc/userinfo", HTTP_AUTHORIZATION="Bearer nope")
    assert bad.status_code == 401 and "WWW-Authenticate" in bad


@pytest.mark.parametrize(
    "scope,present,absent",
    [
        ("openid profile", {"name", "birthdate", "gender"}, {"email", "phone_number", "address"}),
        ("openid email", {"email", "email_verified"}, {"name", "phone_number"}),
        ("openid phone", {"phone_number", "phone_number_verified"}, {"email"}),
        ("openid address", {"address"}, {"email", "name"}),
        ("openid profile email phone address", {"name", "email", "phone_number", "address"}, set()),
    ],
    ids=[
        "oidcc_scope_profile",
        "oidcc_scope_email",
        "oidcc_scope_phone",
        "oidcc_scope_address",
        "oidcc_scope_all",
    ],
)
def test_oidcc_scope(logged_in, citizen, world, scope, present, absent):
    citizen.current_address, citizen.current_commune = "5 Lê Duẩn", world.commune_a
    citizen.gender, citizen.birth_date = "male", datetime.date(1990, 6, 15)
    citizen.save()
    tokens = full_flow(logged_in, scope=scope)
    data = logged_in.get(
        "/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    ).json()
    assert present <= set(data)
    assert not absent & set(data)
    if "phone_number" in data:
        assert data["phone_number"] == "+84912345678"


def test_id_number_only_at_level_2_and_with_consent(logged_in, citizen):
    citizen.declared_id_number = "045090123456"
    citizen.save()
    tokens = full_flow(logged_in, scope="openid id_number")
    assert tokens["scope"].split() == ["openid"]  # level 1: the scope is not even offered
    citizen.level, citizen.verified_id_number = Level.VERIFIED, "045090123456"
    citizen.save()
    tokens = full_flow(logged_in, scope="openid id_number")
    data = logged_in.get(
        "/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    ).json()
    assert data["id_number"] == "045090123456"


def test_claims_parameter_puts_claims_in_the_id_token(logged_in):
    tokens = full_flow(logged_in, claims='{"id_token": {"name": null, "email": null}}')
    assert tokens["claims"]["name"] == "Ngô Văn Nam"
    assert "email" not in tokens["claims"]  # requested but its scope was not granted


def test_pairwise_subjects_differ_per_sector_and_are_stable(client, citizen, db):
    make_rp(client_id="a", subject_type="pairwise", redirect_uris="https://a.example/cb")
    make_rp(client_id="b", subject_type="pairwise", redirect_uris="https://b.example/cb")
    make_rp(client_id="a2", subject_type="pairwise", redirect_uris="https://a.example/other")
    log_in_session(client, citizen)
    subs = {}
    for cid, uri in (
        ("a", "https://a.example/cb"),
        ("b", "https://b.example/cb"),
        ("a2", "https://a.example/other"),
        ("a", "https://a.example/cb"),
    ):
        response = authorize(client, client_id=cid, redirect_uri=uri)
        if response.status_code == 200:
            from postgov.identity.tests.oidc_helpers import consent_all

            response = consent_all(client, response)
        code = query_of(response)["code"]
        tok = token_request(
            client,
            {"grant_type": "authorization_code", "code": code, "redirect_uri": uri},
            basic(cid),
        )
        subs.setdefault(cid, set()).add(verify_id_token(client, tok.json()["id_token"])["sub"])
    assert len(subs["a"]) == 1  # stable
    assert subs["a"] == subs["a2"]  # same sector (host)
    assert subs["a"] != subs["b"]
    assert str(citizen.subject) not in subs["a"] | subs["b"]


# -- refresh tokens ---------------------------------------------------------------------------
def test_oidcc_refresh_token(logged_in):
    tokens = full_flow(logged_in)
    response = token_request(
        logged_in,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        basic(),
    )
    assert response.status_code == 200, response.content
    new = response.json()
    assert new["refresh_token"] != tokens["refresh_token"]  # rotated
    claims = verify_id_token(logged_in, new["id_token"])
    for name in ("iss", "sub", "aud", "auth_time", "acr"):
        assert claims[name] == tokens["claims"][name]


def test_refresh_token_reuse_revokes_the_family(logged_in):
    tokens = full_flow(logged_in)
    rotated = token_request(
        logged_in,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        basic(),
    ).json()
    replay = token_request(
        logged_in,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        basic(),
    )
    assert replay.json()["error"] == "invalid_grant"
    # The thief's replay also kills the legitimate, rotated token.
    after = token_request(
        logged_in,
        {"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]},
        basic(),
    )
    assert after.status_code == 400
    assert (
        logged_in.get(
            "/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {rotated['access_token']}"
        ).status_code
        == 401
    )
    assert AuditEvent.objects.filter(action="oidc.refresh_token_reuse").exists()


def test_refresh_by_another_client_is_refused(logged_in):
    make_rp(client_id="other", redirect_uris="https://other.example/cb")
    tokens = full_flow(logged_in)
    response = token_request(
        logged_in,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        basic("other"),
    )
    assert response.status_code == 400


def test_disabled_account_cannot_refresh(logged_in, citizen):
    tokens = full_flow(logged_in)
    citizen.is_active = False
    citizen.save()
    response = token_request(
        logged_in,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        basic(),
    )
    assert response.status_code == 400


# -- revocation and introspection ----------------------------------------------------------
def test_revocation_and_introspection(logged_in):
    tokens = full_flow(logged_in)
    info = logged_in.post(
        "/oidc/introspect", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=basic()
    ).json()
    assert (
        info["active"] and info["sub"] == tokens["claims"]["sub"] and info["client_id"] == "portal"
    )
    assert info["acr"] == "urn:postgov:loa:1"
    refresh_info = logged_in.post(
        "/oidc/introspect", {"token": tokens["refresh_token"]}, HTTP_AUTHORIZATION=basic()
    ).json()
    assert refresh_info["active"] and refresh_info["token_type"] == "refresh_token"
    make_rp(client_id="other", redirect_uris="https://other.example/cb")
    assert logged_in.post(
        "/oidc/introspect", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=basic("other")
    ).json() == {"active": False}
    assert logged_in.post("/oidc/introspect", {"token": tokens["access_token"]}).status_code == 401
    response = logged_in.post(
        "/oidc/revoke",
        {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        HTTP_AUTHORIZATION=basic(),
    )
    assert response.status_code == 200
    assert logged_in.post(
        "/oidc/introspect", {"token": tokens["refresh_token"]}, HTTP_AUTHORIZATION=basic()
    ).json() == {"active": False}
    response = logged_in.post(
        "/oidc/revoke", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=basic()
    )
    assert (
        logged_in.get(
            "/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
        ).status_code
        == 401
    )
    assert AuditEvent.objects.filter(action="oidc.token_revoked").exists()


# -- logout ------------------------------------------------------------------------------------
def test_oidcc_rp_initiated_logout(logged_in):
    tokens = full_flow(logged_in)
    response = logged_in.get(
        "/oidc/logout",
        {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": LOGOUT_REDIRECT,
            "state": "bye1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == LOGOUT_REDIRECT + "?state=bye1"
    assert logged_in.get("/accounts/me/").status_code == 302  # logged out
    assert (
        logged_in.get(
            "/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
        ).status_code
        == 401
    )


def test_oidcc_rp_initiated_logout_bad_id_token_hint(logged_in):
    full_flow(logged_in)
    response = logged_in.get(
        "/oidc/logout",
        {"id_token_hint": "not.a.token", "post_logout_redirect_uri": LOGOUT_REDIRECT},
    )
    assert response.status_code == 400 and "Location" not in response
    assert logged_in.get("/accounts/me/").status_code == 200  # still logged in


def test_oidcc_rp_initiated_logout_modified_id_token_hint(logged_in):
    tokens = full_flow(logged_in)
    header, payload, signature = tokens["id_token"].split(".")
    import json

    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    response = logged_in.get(
        "/oidc/logout",
        {
            "id_token_hint": f"{header}.{forged}.{signature}",
            "post_logout_redirect_uri": LOGOUT_REDIRECT,
        },
    )
    assert response.status_code == 400 and "Location" not in response


def test_oidcc_rp_initiated_logout_bad_post_logout_redirect_uri(logged_in):
    tokens = full_flow(logged_in)
    response = logged_in.get(
        "/oidc/logout",
        {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://evil.example/"},
    )
    assert response.status_code == 400 and "Location" not in response


def test_oidcc_rp_initiated_logout_no_id_token_hint_asks_first(logged_in):
    response = logged_in.get(
        "/oidc/logout", {"client_id": "portal", "post_logout_redirect_uri": LOGOUT_REDIRECT}
    )
    assert response.status_code == 200  # a confirmation page
    confirm = logged_in.post(
        "/oidc/logout",
        {"client_id": "portal", "post_logout_redirect_uri": LOGOUT_REDIRECT, "confirm": "yes"},
    )
    assert confirm["Location"] == LOGOUT_REDIRECT


def test_oidcc_rp_initiated_logout_no_post_logout_redirect_uri(logged_in):
    tokens = full_flow(logged_in)
    response = logged_in.get("/oidc/logout", {"id_token_hint": tokens["id_token"]})
    assert response.status_code == 200 and "PostID" in response.content.decode()


# -- keys -----------------------------------------------------------------------------------
def test_oidcc_server_rotate_keys(logged_in):
    before = full_flow(logged_in)
    old_kid = logged_in.get("/oidc/jwks").json()["keys"][0]["kid"]
    new_key = rotate_signing_key()
    kids = [k["kid"] for k in logged_in.get("/oidc/jwks").json()["keys"]]
    assert kids[0] == new_key.kid and old_kid in kids  # the old key stays for verification
    after = full_flow(logged_in)
    assert verify_id_token(logged_in, before["id_token"])["sub"] == after["claims"]["sub"]
    assert after["id_token"].split(".")[0] != before["id_token"].split(".")[0]  # new kid
    # An ID token signed with the retired key is still a valid logout hint.
    response = logged_in.get(
        "/oidc/logout",
        {"id_token_hint": before["id_token"], "post_logout_redirect_uri": LOGOUT_REDIRECT},
    )
    assert response.status_code == 302


def test_retired_keys_leave_the_jwks_after_their_tokens_expired(db):
    first = rotate_signing_key()
    rotate_signing_key()
    rotate_signing_key(keep_seconds=0)
    from postgov.identity.oidc.keys import published_jwks

    assert first.kid not in [k["kid"] for k in published_jwks()["keys"]]


def test_oidcc_id_token_hint(logged_in, outsider):
    tokens = full_flow(logged_in)
    assert "code" in query_of(authorize(logged_in, prompt="none", id_token_hint=tokens["id_token"]))
    log_in_session(logged_in, outsider)
    assert (
        query_of(authorize(logged_in, prompt="none", id_token_hint=tokens["id_token"]))["error"]
        == "login_required"
    )


def test_session_auth_context_defaults_for_force_login(client, citizen, rp):  # noqa: F811
    client.force_login(citizen)
    assert authn.LOA1 == "urn:postgov:loa:1"
    assert authorize(client).status_code == 200


def test_logout_confirmation_cannot_be_forged_cross_site(citizen, rp):  # noqa: F811
    from tests.clients import PostGovClient

    browser = PostGovClient(enforce_csrf_checks=True)
    log_in_session(browser, citizen)
    response = browser.post(
        "/oidc/logout",
        {"client_id": "portal", "post_logout_redirect_uri": LOGOUT_REDIRECT, "confirm": "yes"},
    )
    assert response.status_code == 200  # asked again, not logged out
    assert browser.get("/accounts/me/").status_code == 200


def test_oidcc_login_hint_prefills_the_username(client, rp):  # noqa: F811
    response = authorize(client, login_hint="citizen")
    page = client.get(response["Location"])
    assert 'value="citizen"' in page.content.decode()
