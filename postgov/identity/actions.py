"""State changes of PostID accounts (DESIGN §3.2: views stay thin, actions are atomic
and audited). Personal data never goes into audit details in clear."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from postgov.audit.actions import record
from postgov.identity.models import (
    Consent,
    EnrolmentCode,
    Level,
    Passkey,
    RelyingParty,
    User,
)
from postgov.lib.sealing import keyed_hash, seal, unseal

ENROLMENT_PURPOSE = "enrolment-code"
ENROLMENT_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # Crockford-like: no I, L, O, U, 0, 1


def fingerprint(value: str) -> str:
    """A short keyed hash to tell values apart in the audit trail without revealing them."""
    return keyed_hash(value, "audit-fingerprint")[:16]


def masked_phone(phone: str) -> str:
    return f"***{phone[-3:]}" if phone else ""


class UsernameTaken(Exception):
    """Someone else took the username while this registration waited for its code."""


@transaction.atomic
def register_citizen(request, data: dict, password_hash: str) -> User:
    """Create the account of a self-registration once its phone code came back, so an
    account exists only with its phone verified. `data`: the registration form's fields
    as kept with the pending registration (dates as ISO text, communes by id)."""
    if User.objects.filter(username__iexact=data["username"]).exists():
        raise UsernameTaken
    user = User(
        username=data["username"],
        full_name=data["full_name"],
        gender=data["gender"],
        birth_date=date.fromisoformat(data["birth_date"]),
        declared_id_number=data["declared_id_number"],
        phone=data["phone"],
        email=data.get("email", ""),
        permanent_address=data["permanent_address"],
        permanent_commune_id=data["permanent_commune"],
        current_address=data["current_address"],
        current_commune_id=data["current_commune"],
        phone_verified_at=timezone.now(),
    )
    user.password = password_hash  # hashed when the form was sent; never kept in clear
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # the same username, created a moment ago
        raise UsernameTaken from exc
    details = {"phone": masked_phone(user.phone)}
    record("identity.registered", request=request, actor=user, obj=user, details=details)
    record("identity.phone_verified", request=request, actor=user, obj=user, details=details)
    return user


@transaction.atomic
def note_registration_refused(request, reason: str) -> None:
    """A registration held back by a limit ("address", "phone"): kept in the audit trail
    (no personal data), so a wave of SMS pumping shows."""
    record(
        "identity.registration_refused",
        request=request,
        object_type="registration",
        details={"reason": reason},
    )


# -- enrolment codes ---------------------------------------------------------------------
def _normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:32]


@transaction.atomic
def issue_enrolment_code(request, user: User) -> str:
    """A new code replaces the previous one. 16 characters of a 30-symbol alphabet:
    78 bits, so guessing is hopeless even without the 7-day expiry."""
    now = timezone.now()
    user.enrolment_codes.filter(used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    raw = "".join(secrets.choice(ENROLMENT_ALPHABET) for _ in range(16))
    EnrolmentCode.objects.create(
        user=user,
        code_hash=keyed_hash(raw, ENROLMENT_PURPOSE),
        code_sealed=seal(raw, ENROLMENT_PURPOSE),
        expires_at=now + timedelta(days=settings.IDENTITY_ENROLMENT_CODE_DAYS),
    )
    record("proofing.enrolment_code_issued", request=request, actor=user, obj=user)
    return raw


def current_enrolment_code(user: User) -> tuple[EnrolmentCode, str] | None:
    row = user.enrolment_codes.filter(
        used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).first()
    return (row, unseal(row.code_sealed, ENROLMENT_PURPOSE)) if row else None


def find_enrolment_code(code: str) -> EnrolmentCode | None:
    raw = _normalise_code(code)
    if len(raw) != 16:
        return None
    return (
        EnrolmentCode.objects.select_related("user")
        .filter(
            code_hash=keyed_hash(raw, ENROLMENT_PURPOSE),
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


def format_code(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


# -- connected portals ---------------------------------------------------------------------
def connected_portals(user: User) -> list[dict]:
    AccessToken = get_access_token_model()
    RefreshToken = get_refresh_token_model()
    portals = {}
    for consent in Consent.objects.filter(user=user).select_related("relying_party"):
        portals[consent.relying_party_id] = {
            "rp": consent.relying_party,
            "scopes": consent.scopes,
            "since": consent.granted_at,
            "active_tokens": 0,
        }
    live = RefreshToken.objects.filter(user=user, revoked__isnull=True).values_list(
        "application_id", flat=True
    )
    for app_id in list(live) + list(
        AccessToken.objects.filter(user=user, expires__gt=timezone.now()).values_list(
            "application_id", flat=True
        )
    ):
        if app_id in portals:
            portals[app_id]["active_tokens"] += 1
        elif app_id:
            rp = RelyingParty.objects.filter(pk=app_id).first()
            if rp:
                portals[app_id] = {"rp": rp, "scopes": [], "since": None, "active_tokens": 1}
    return sorted(portals.values(), key=lambda p: p["rp"].name)


@transaction.atomic
def revoke_portal(request, user: User, rp: RelyingParty) -> None:
    AccessToken = get_access_token_model()
    RefreshToken = get_refresh_token_model()
    Consent.objects.filter(user=user, relying_party=rp).delete()
    RefreshToken.objects.filter(user=user, application=rp, revoked__isnull=True).update(
        revoked=timezone.now()
    )
    AccessToken.objects.filter(user=user, application=rp).delete()
    record("oidc.consent_revoked", request=request, obj=rp)


def revoke_all_tokens(user: User) -> None:
    AccessToken = get_access_token_model()
    RefreshToken = get_refresh_token_model()
    RefreshToken.objects.filter(user=user, revoked__isnull=True).update(revoked=timezone.now())
    AccessToken.objects.filter(user=user).delete()


# -- passkeys ----------------------------------------------------------------------------
class PasskeyTaken(Exception):
    """The credential is already registered (to this or another account)."""


@transaction.atomic
def add_passkey(request, user: User, new, name: str) -> Passkey:
    """Save a passkey checked by `passkeys.verify_registration`."""
    if Passkey.objects.filter(credential_id=new.credential_id).exists():
        raise PasskeyTaken
    passkey = Passkey.objects.create(
        user=user,
        name=(name or "").strip()[:60] or "Passkey",
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        transports=new.transports,
        aaguid=new.aaguid,
        backed_up=new.backed_up,
    )
    record(
        "mfa.passkey_added",
        request=request,
        obj=user,
        details={"passkey": passkey.pk, "aaguid": new.aaguid, "transports": new.transports},
    )
    return passkey


@transaction.atomic
def rename_passkey(request, passkey: Passkey, name: str) -> None:
    passkey.name = name.strip()[:60] or passkey.name
    passkey.save(update_fields=["name"])
    record(
        "mfa.passkey_renamed", request=request, obj=passkey.user, details={"passkey": passkey.pk}
    )


@transaction.atomic
def remove_passkey(request, passkey: Passkey) -> None:
    pk, user = passkey.pk, passkey.user
    passkey.delete()
    record("mfa.passkey_removed", request=request, obj=user, details={"passkey": pk})


# -- recovery ----------------------------------------------------------------------------
@transaction.atomic
def recover_account(request, user: User, password: str) -> None:
    """A password reset by a code to the phone proves the phone, not the person: the
    account drops to level 1 until the person is checked again at a counter. The
    verified ID number stays bound (so no second account can take it)."""
    from postgov.identity.authn import end_session_rows
    from postgov.notify.actions import queue_message

    previous = user.level
    user.set_password(password)
    user.level = Level.BASIC
    user.password_must_change = False
    user.save(update_fields=["password", "level", "password_must_change"])
    end_session_rows(user)
    revoke_all_tokens(user)
    record(
        "identity.recovered",
        request=request,
        actor=user,
        obj=user,
        details={"level_before": previous, "level_after": 1},
    )
    text = (
        "mat khau tai khoan cua ban vua duoc dat lai. "
        "Neu khong phai ban, hay den buu dien gan nhat."
    )
    if user.phone:
        queue_message("sms", user.phone, "identity_notice", {"text": text}, about=user)
    if user.email:
        queue_message(
            "email",
            user.email,
            "identity_notice",
            {
                "subject": "mật khẩu đã được đặt lại",
                "body": (
                    "Mật khẩu tài khoản PostID của bạn vừa được đặt lại. Tài khoản trở về "
                    "mức 1 cho đến khi bạn xác minh lại tại bưu điện."
                ),
            },
            about=user,
        )
