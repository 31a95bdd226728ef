"""Passkeys (WebAuthn) as a second factor: the two ceremonies around py_webauthn.

The server makes the options with a fresh challenge kept in the session (single use, a
few minutes, bound to the account and the ceremony); the browser
(`static/identity/passkeys.js`) asks the authenticator and posts its answer back as
JSON; py_webauthn checks the challenge, the origin, the RP id hash, the flags and the
attestation (we ask for none: any authenticator will do) or the signature.

A passkey gives the session the RFC 8176 `amr` values "hwk" (proof of possession of a
key held by the authenticator) and "user" (the user-presence test, always required).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http.request import split_domain_port
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from postgov.audit.actions import record
from postgov.identity.models import Passkey, User

CHALLENGE_KEY = "postgov_webauthn_%s"
CHALLENGE_SECONDS = 5 * 60
# A real answer is a few hundred bytes (attestation "none"); anything much larger is junk.
MAX_ANSWER_LENGTH = 20_000
AMR = ["hwk", "user"]


class PasskeyError(Exception):
    """The browser's answer was not acceptable (for the log, never shown as is)."""


class SignCountRegressed(PasskeyError):
    """A genuine signature with a counter that did not grow: a cloned authenticator."""


@dataclass
class NewPasskey:
    """A verified registration, ready to be saved by `actions.add_passkey`."""

    credential_id: str
    public_key: bytes
    sign_count: int
    transports: list[str]
    aaguid: str
    backed_up: bool


# -- where passkeys are bound -------------------------------------------------------------
def rp_id(request) -> str:
    """The domain passkeys are made for: WEBAUTHN_RP_ID, or the host of this request
    (already checked against ALLOWED_HOSTS by get_host)."""
    if settings.WEBAUTHN_RP_ID:
        return settings.WEBAUTHN_RP_ID
    domain, _port = split_domain_port(request.get_host())
    return domain


def expected_origins(request) -> list[str]:
    return list(settings.WEBAUTHN_ORIGINS) or [f"{request.scheme}://{request.get_host()}"]


# -- challenges ---------------------------------------------------------------------------
def _remember_challenge(request, ceremony: str, user: User, challenge: bytes) -> None:
    request.session[CHALLENGE_KEY % ceremony] = {
        "user": user.pk,
        "challenge": bytes_to_base64url(challenge),
        "at": int(time.time()),
    }


def _take_challenge(request, ceremony: str, user: User) -> bytes:
    """The challenge given for this ceremony and account; it is used up either way."""
    data = request.session.pop(CHALLENGE_KEY % ceremony, None) or {}
    if data.get("user") != user.pk or not data.get("challenge"):
        raise PasskeyError("no challenge for this account")
    if int(time.time()) - int(data.get("at", 0)) > CHALLENGE_SECONDS:
        raise PasskeyError("challenge expired")
    return base64url_to_bytes(data["challenge"])


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    known = {t.value for t in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(p.credential_id),
            transports=[AuthenticatorTransport(t) for t in p.transports if t in known] or None,
        )
        for p in user.passkeys.all()
    ]


def _answer(text: str) -> str:
    if not text or len(text) > MAX_ANSWER_LENGTH:
        raise PasskeyError("missing or oversized answer")
    return text


# -- registration -------------------------------------------------------------------------
def registration_options(request, user: User) -> dict:
    """Options for navigator.credentials.create(), as JSON-ready data."""
    options = generate_registration_options(
        rp_id=rp_id(request),
        rp_name=settings.WEBAUTHN_RP_NAME,
        # The user handle is stored on the authenticator: the random subject, no data.
        user_id=user.subject.bytes,
        user_name=user.get_username(),
        user_display_name=user.full_name or user.get_username(),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(user),
    )
    _remember_challenge(request, "register", user, options.challenge)
    return options_to_json_dict(options)


def verify_registration(request, user: User, answer: str) -> NewPasskey:
    """Check the browser's answer to `registration_options`; raises PasskeyError."""
    challenge = _take_challenge(request, "register", user)
    try:
        credential = parse_registration_credential_json(_answer(answer))
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(request),
            expected_origin=expected_origins(request),
        )
    except PasskeyError:
        raise
    except Exception as exc:  # py_webauthn raises many kinds on malformed input
        raise PasskeyError(str(exc)[:200]) from exc
    transports = [t.value for t in credential.response.transports or []]
    return NewPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
        aaguid=str(verified.aaguid or "")[:36],
        backed_up=bool(verified.credential_backed_up),
    )


# -- authentication -----------------------------------------------------------------------
def authentication_options(request, user: User) -> dict:
    """Options for navigator.credentials.get() with the account's passkeys."""
    options = generate_authentication_options(
        rp_id=rp_id(request),
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _remember_challenge(request, "authenticate", user, options.challenge)
    return options_to_json_dict(options)


def verify_authentication(request, user: User, answer: str) -> Passkey:
    """Check the browser's answer to `authentication_options` against one of the
    account's passkeys and move its counter on; raises PasskeyError."""
    challenge = _take_challenge(request, "authenticate", user)
    try:
        credential = parse_authentication_credential_json(_answer(answer))
    except PasskeyError:
        raise
    except Exception as exc:
        raise PasskeyError(str(exc)[:200]) from exc
    passkey = user.passkeys.filter(credential_id=bytes_to_base64url(credential.raw_id)).first()
    if passkey is None:
        raise PasskeyError("not a passkey of this account")
    handle = credential.response.user_handle
    if handle and handle != user.subject.bytes:
        # Not signed, but a passkey made for another account says so: refuse it.
        raise PasskeyError("user handle of another account")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(request),
            expected_origin=expected_origins(request),
            credential_public_key=bytes(passkey.public_key),
            # The counter is compared below, after the signature is known to be genuine,
            # so that a regression can be told apart from a forgery and audited.
            credential_current_sign_count=0,
        )
    except Exception as exc:
        raise PasskeyError(str(exc)[:200]) from exc
    new_count = verified.new_sign_count
    if (new_count or passkey.sign_count) and new_count <= passkey.sign_count:
        record(
            "mfa.passkey_sign_count_regressed",
            request=request,
            actor=user,
            obj=user,
            details={"passkey": passkey.pk, "stored": passkey.sign_count, "given": new_count},
        )
        raise SignCountRegressed("sign count did not grow")
    with transaction.atomic():
        # Conditional update: two concurrent uses of one counter value cannot both pass.
        now = timezone.now()
        updated = Passkey.objects.filter(pk=passkey.pk, sign_count=passkey.sign_count).update(
            sign_count=new_count, last_used_at=now, backed_up=verified.credential_backed_up
        )
    if not updated:
        raise PasskeyError("used concurrently")
    passkey.sign_count, passkey.last_used_at = new_count, now
    return passkey
