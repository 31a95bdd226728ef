"""Passkeys (WebAuthn) as a second factor: registration on the account page, login,
step-up and re-authentication, with a software authenticator (real CBOR and ECDSA)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from webauthn.helpers import bytes_to_base64url

from postgov.audit.models import AuditEvent
from postgov.identity import authn
from postgov.identity.models import Level, Passkey
from postgov.identity.tests.oidc_helpers import (
    authorize,
    consent_all,
    exchange,
    log_in_session,
    query_of,
    rp,  # noqa: F401  (fixture)
    verify_id_token,
)
from postgov.identity.tests.soft_authenticator import SoftAuthenticator
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db

ADD = reverse("identity:passkey_add")
LOGIN = reverse("identity:login")
VERIFY = reverse("identity:login_verify")


def register(client, user, authenticator=None, name="Điện thoại của tôi", **answer) -> str:
    """Log in (recently authenticated), open the page, answer with the authenticator."""
    authenticator = authenticator or SoftAuthenticator()
    log_in_session(client, user)
    options = client.get(ADD).context["passkey_options"]
    response = client.post(
        ADD, {"name": name, "credential": authenticator.create(options, **answer)}
    )
    return response


def registered(client, user) -> SoftAuthenticator:
    authenticator = SoftAuthenticator()
    assert register(client, user, authenticator)["Location"] == reverse("identity:security")
    client.logout()
    return authenticator


def password_step(client, username="citizen"):
    response = client.post(LOGIN, {"username": username, "password": PASSWORD})
    assert response["Location"] == VERIFY
    return client.get(VERIFY).context["passkey_options"]


# -- registration --------------------------------------------------------------------------
def test_citizen_registers_a_passkey_after_confirming_it_is_them(client, citizen):
    client.force_login(citizen)
    # A sensitive change: the password must have been typed in the last minutes.
    assert client.get(ADD)["Location"].startswith(reverse("identity:reauth"))

    response = register(client, citizen)

    assert response["Location"] == reverse("identity:security")
    passkey = Passkey.objects.get(user=citizen)
    assert passkey.name == "Điện thoại của tôi"
    assert passkey.transports == ["internal"]
    assert passkey.sign_count == 0
    event = AuditEvent.objects.get(action="mfa.passkey_added", object_id=str(citizen.pk))
    assert event.details["passkey"] == passkey.pk
    page = client.get(reverse("identity:security")).content.decode()
    assert "Điện thoại của tôi" in page


def test_the_options_bind_the_passkey_to_this_site_and_exclude_known_ones(client, citizen):
    authenticator = SoftAuthenticator()
    register(client, citizen, authenticator)
    options = client.get(ADD).context["passkey_options"]
    assert options["rp"]["id"] == "testserver"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    # The user handle is the random subject, not the username or anything personal.
    assert options["user"]["name"] == "citizen"
    assert [c["id"] for c in options["excludeCredentials"]] == [authenticator.id]


def test_rp_id_and_origin_can_be_set(client, citizen, settings):
    settings.WEBAUTHN_RP_ID = "postid.example.vn"
    settings.WEBAUTHN_ORIGINS = ["https://postid.example.vn"]
    log_in_session(client, citizen)
    options = client.get(ADD).context["passkey_options"]
    assert options["rp"]["id"] == "postid.example.vn"
    answer = SoftAuthenticator().create(options, origin="https://postid.example.vn")
    assert client.post(ADD, {"name": "x", "credential": answer}).status_code == 302
    # The request's own origin is no longer accepted.
    options = client.get(ADD).context["passkey_options"]
    response = client.post(ADD, {"name": "y", "credential": SoftAuthenticator().create(options)})
    assert response.status_code == 200
    assert citizen.passkeys.count() == 1


@pytest.mark.parametrize(
    "answer",
    [
        {"challenge": "bm90IHRoZSBjaGFsbGVuZ2U"},
        {"origin": "https://evil.example"},
    ],
    ids=["wrong-challenge", "wrong-origin"],
)
def test_a_registration_for_another_challenge_or_origin_is_refused(client, citizen, answer):
    response = register(client, citizen, **answer)
    assert response.status_code == 200
    assert "Không thể đăng ký khóa truy cập" in response.content.decode()
    assert not Passkey.objects.exists()
    assert AuditEvent.objects.filter(action="mfa.passkey_add_failed").exists()


def test_a_registration_answer_is_used_once(client, citizen):
    log_in_session(client, citizen)
    options = client.get(ADD).context["passkey_options"]
    answer = SoftAuthenticator().create(options)
    assert client.post(ADD, {"name": "a", "credential": answer}).status_code == 302
    replay = client.post(ADD, {"name": "b", "credential": answer})
    assert replay.status_code == 200
    assert citizen.passkeys.count() == 1


@pytest.mark.parametrize("junk", ["", "{", "[]", '{"id": "x"}', "x" * 30_000])
def test_junk_instead_of_a_passkey_gets_a_message_not_a_500(client, citizen, junk):
    log_in_session(client, citizen)
    client.get(ADD)
    response = client.post(ADD, {"name": "a", "credential": junk})
    assert response.status_code == 200
    assert 'class="alert alert-danger"' in response.content.decode()
    assert not Passkey.objects.exists()


def test_one_authenticator_cannot_be_registered_to_two_accounts(client, citizen, outsider):
    authenticator = registered(client, citizen)
    response = register(client, outsider, authenticator)
    assert response.status_code == 200
    assert not outsider.passkeys.exists()


def test_a_post_without_javascript_is_told_why(client, citizen):
    log_in_session(client, citizen)
    response = client.post(ADD, {"name": "a"})
    assert "Trình duyệt không gửi khóa truy cập" in response.content.decode()


def test_without_javascript_passkeys_are_not_offered(client, citizen):
    log_in_session(client, citizen)
    security = client.get(reverse("identity:security")).content.decode()
    assert 'id="passkey-add" hidden data-passkey-supported' in security
    assert "data-passkey-unsupported>Khóa truy cập cần JavaScript" in security
    assert "identity/passkeys.js" in security


# -- rename and remove ---------------------------------------------------------------------
def test_citizen_renames_and_removes_a_passkey(client, citizen):
    register(client, citizen)
    passkey = citizen.passkeys.get()
    client.post(reverse("identity:passkey_rename", args=[passkey.pk]), {"name": "Khóa USB"})
    passkey.refresh_from_db()
    assert passkey.name == "Khóa USB"
    assert AuditEvent.objects.filter(action="mfa.passkey_renamed").exists()
    response = client.post(reverse("identity:passkey_remove", args=[passkey.pk]))
    assert response["Location"] == reverse("identity:security")
    assert not citizen.passkeys.exists()
    assert AuditEvent.objects.filter(action="mfa.passkey_removed").exists()


def test_it_checks_access(client, citizen, outsider):
    register(client, citizen)
    passkey = citizen.passkeys.get()
    rename = reverse("identity:passkey_rename", args=[passkey.pk])
    remove = reverse("identity:passkey_remove", args=[passkey.pk])
    client.logout()
    for url in (ADD, rename, remove):
        assert "/accounts/login/" in client.post(url, {"name": "z"})["Location"]
    # Someone else's passkey does not exist for the outsider.
    log_in_session(client, outsider)
    assert client.post(rename, {"name": "mine now"}).status_code == 404
    assert client.post(remove).status_code == 404
    assert client.get(rename).status_code == 405
    passkey.refresh_from_db()
    assert passkey.name == "Điện thoại của tôi"


def test_removing_needs_a_recent_password(client, citizen):
    register(client, citizen)
    session = client.session
    session[authn.REAUTH] = 0
    session.save()
    passkey = citizen.passkeys.get()
    response = client.post(reverse("identity:passkey_remove", args=[passkey.pk]))
    assert response["Location"].startswith(reverse("identity:reauth"))
    assert citizen.passkeys.exists()


def test_staff_keep_at_least_one_second_factor(client, clerk_a):
    register(client, clerk_a)
    clerk_a.totp_devices.all().delete()
    passkey = clerk_a.passkeys.get()
    client.post(reverse("identity:passkey_remove", args=[passkey.pk]))
    assert clerk_a.passkeys.exists()


# -- login ---------------------------------------------------------------------------------
def test_citizen_logs_in_with_password_then_passkey(client, citizen):
    authenticator = registered(client, citizen)
    # Having a passkey turns the second step on.
    options = password_step(client)
    assert [c["id"] for c in options["allowCredentials"]] == [authenticator.id]
    response = client.post(VERIFY, {"credential": authenticator.get(options)})
    assert response["Location"] == reverse("home")
    auth = client.session[authn.AUTH]
    assert auth["amr"] == ["hwk", "mfa", "pwd", "user"]
    assert auth["mfa_time"]
    passkey = citizen.passkeys.get()
    assert passkey.sign_count == 1 and passkey.last_used_at
    event = AuditEvent.objects.get(action="auth.second_factor_ok", actor_id=citizen.pk)
    assert event.details == {"method": "passkey"}


def test_the_verify_page_offers_the_passkey_only_to_javascript(client, citizen):
    citizen.sms_login = True
    citizen.save(update_fields=["sms_login"])
    registered(client, citizen)
    password_step(client)
    page = client.get(VERIFY).content.decode()
    assert 'data-passkey="get" data-options="passkey-options" hidden data-passkey-supported' in page
    assert 'id="passkey-options"' in page
    # Codes stay available beside it (SMS codes at login, which the citizen turned on).
    assert 'name="code"' in page


@pytest.mark.parametrize(
    "answer",
    [
        {"challenge": "bm90IHRoZSBjaGFsbGVuZ2U"},
        {"origin": "https://evil.example"},
    ],
    ids=["wrong-challenge", "wrong-origin"],
)
def test_a_login_answer_for_another_challenge_or_origin_is_refused(client, citizen, answer):
    authenticator = registered(client, citizen)
    options = password_step(client)
    response = client.post(VERIFY, {"credential": authenticator.get(options, **answer)})
    assert response.status_code == 200
    assert "Khóa truy cập không được chấp nhận" in response.content.decode()
    assert authn.AUTH not in client.session
    assert AuditEvent.objects.filter(
        action="auth.second_factor_failed", details__method="passkey"
    ).exists()


def test_a_login_answer_is_used_once(client, citizen):
    authenticator = registered(client, citizen)
    options = password_step(client)
    answer = authenticator.get(options)
    assert client.post(VERIFY, {"credential": answer})["Location"] == reverse("home")
    client.logout()
    password_step(client)
    assert client.post(VERIFY, {"credential": answer}).status_code == 200
    assert authn.AUTH not in client.session


def test_a_sign_count_that_goes_back_is_refused_and_audited(client, citizen):
    authenticator = registered(client, citizen)
    Passkey.objects.filter(user=citizen).update(sign_count=10)
    options = password_step(client)
    # A genuine signature, but the counter says this key was copied.
    response = client.post(VERIFY, {"credential": authenticator.get(options, counter=7)})
    assert response.status_code == 200
    assert authn.AUTH not in client.session
    event = AuditEvent.objects.get(action="mfa.passkey_sign_count_regressed")
    assert event.details["stored"] == 10 and event.details["given"] == 7
    assert citizen.passkeys.get().sign_count == 10
    # The equal value is refused too; a larger one passes.
    options = client.get(VERIFY).context["passkey_options"]
    assert (
        client.post(VERIFY, {"credential": authenticator.get(options, counter=10)}).status_code
        == 200
    )
    options = client.get(VERIFY).context["passkey_options"]
    response = client.post(VERIFY, {"credential": authenticator.get(options, counter=11)})
    assert response["Location"] == reverse("home")


def test_authenticators_without_a_counter_still_work(client, citizen):
    authenticator = registered(client, citizen)
    options = password_step(client)
    response = client.post(VERIFY, {"credential": authenticator.get(options, counter=0)})
    assert response["Location"] == reverse("home")


def test_a_passkey_of_another_account_is_refused(client, citizen, outsider):
    registered(client, citizen)
    stranger = registered(client, outsider)
    options = password_step(client)
    response = client.post(VERIFY, {"credential": stranger.get(options)})
    assert response.status_code == 200
    assert authn.AUTH not in client.session


def test_a_forged_signature_is_refused(client, citizen):
    authenticator = registered(client, citizen)
    options = password_step(client)
    answer = json.loads(authenticator.get(options))
    answer["response"]["signature"] = answer["response"]["signature"][:-4] + "AAAA"
    response = client.post(VERIFY, {"credential": json.dumps(answer)})
    assert response.status_code == 200
    assert authn.AUTH not in client.session
    assert not AuditEvent.objects.filter(action="mfa.passkey_sign_count_regressed").exists()


def test_an_answer_naming_another_account_is_refused(client, citizen, outsider):
    authenticator = registered(client, citizen)
    options = password_step(client)
    answer = json.loads(authenticator.get(options))
    answer["response"]["userHandle"] = bytes_to_base64url(outsider.subject.bytes)
    response = client.post(VERIFY, {"credential": json.dumps(answer)})
    assert response.status_code == 200
    assert authn.AUTH not in client.session


def test_failed_passkeys_count_like_wrong_codes(client, citizen, settings):
    settings.IDENTITY_MFA_FREE_FAILURES = 3
    authenticator = registered(client, citizen)
    password_step(client)
    for _ in range(4):
        options = client.get(VERIFY).context["passkey_options"]
        response = client.post(
            VERIFY, {"credential": authenticator.get(options, origin="https://evil.example")}
        )
    # The fourth answer was not checked: the third failure started the account's backoff.
    assert response.status_code == 200 and response.context["passkey_error"]
    assert citizen.second_factor_attempts.failures == 3


# -- step-up and re-authentication ---------------------------------------------------------
def test_step_up_with_a_passkey(client, citizen):
    authenticator = registered(client, citizen)
    log_in_session(client, citizen)
    url = reverse("identity:step_up") + "?next=/accounts/me/"
    options = client.get(url).context["passkey_options"]
    response = client.post(url, {"credential": authenticator.get(options), "next": "/accounts/me/"})
    assert response["Location"] == "/accounts/me/"
    assert {"hwk", "user", "mfa"} <= set(client.session[authn.AUTH]["amr"])


def test_reauthentication_with_password_and_passkey(client, citizen):
    authenticator = registered(client, citizen)
    log_in_session(client, citizen)
    session = client.session
    session[authn.REAUTH] = 0
    session.save()
    url = reverse("identity:reauth") + "?next=" + reverse("identity:security")
    options = client.get(url).context["passkey_options"]
    wrong = client.post(url, {"password": "wrong", "credential": authenticator.get(options)})
    assert wrong.status_code == 200
    options = client.get(url).context["passkey_options"]
    response = client.post(url, {"password": PASSWORD, "credential": authenticator.get(options)})
    assert response["Location"] == reverse("identity:security")
    assert "hwk" in client.session[authn.AUTH]["amr"]
    assert AuditEvent.objects.filter(action="auth.step_up", details__method="passkey").exists()


def test_a_portal_asking_for_level_2_gets_it_with_a_passkey(client, citizen, rp):  # noqa: F811
    citizen.level, citizen.verified_id_number = Level.VERIFIED, "045090123456"
    citizen.save()
    authenticator = registered(client, citizen)
    log_in_session(client, citizen)
    step_up = authorize(client, acr_values="urn:postgov:loa:2")["Location"]
    assert step_up.startswith(reverse("identity:step_up"))
    options = client.get(step_up).context["passkey_options"]
    back = client.post(step_up, {"credential": authenticator.get(options)})
    final = client.get(back["Location"])
    if final.status_code == 200:
        final = consent_all(client, final)
    claims = verify_id_token(client, exchange(client, query_of(final)["code"]).json()["id_token"])
    assert claims["acr"] == "urn:postgov:loa:2"
    assert {"hwk", "user", "mfa"} <= set(claims["amr"])
