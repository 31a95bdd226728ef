"""Scopes, claims and subjects of the PostID OpenID provider."""

from __future__ import annotations

import base64
import hashlib
import hmac

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from postgov.identity.models import Level, RelyingParty, User
from postgov.lib.sealing import derived_key

SCOPES = {
    "openid": _("Identify you to the portal (always)"),
    "profile": _("Your name, gender and date of birth"),
    "email": _("Your e-mail address"),
    "phone": _("Your mobile phone number"),
    "address": _("Your current address"),
    "id_number": _("Your ID number, as checked at the post office"),
}
SCOPE_CLAIMS = {
    "profile": [
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "preferred_username",
        "gender",
        "birthdate",
        "locale",
        "updated_at",
    ],
    "email": ["email", "email_verified"],
    "phone": ["phone_number", "phone_number_verified"],
    "address": ["address"],
    "id_number": ["id_number"],
}
# Scopes of machine clients (client credentials grant, no user): an agency's own system
# calling the agency integration API. Never offered to portals nor shown at consent.
SERVICE_SCOPES = {
    "agency.dossiers.read": _("Read the agency's dossiers"),
    "agency.dossiers.write": _("Post the agency's decisions and results"),
}
CLAIM_SCOPE = {claim: scope for scope, claims in SCOPE_CLAIMS.items() for claim in claims}
SUPPORTED_CLAIMS = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "at_hash",
    *CLAIM_SCOPE,
]


class PostGovScopes:
    """DOT scopes backend: the scopes a relying party may ask for are set by admins."""

    def get_all_scopes(self):
        return {name: str(label) for name, label in {**SCOPES, **SERVICE_SCOPES}.items()}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return list(SCOPES)
        if is_service_client(application):
            return [s for s in SERVICE_SCOPES if s in (application.allowed_scopes or [])]
        return [s for s in SCOPES if s in (application.allowed_scopes or []) or s == "openid"]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        if application is not None and is_service_client(application):
            return self.get_available_scopes(application)
        return ["openid"]


def is_service_client(application) -> bool:
    """A machine client: it may use only the client credentials grant (no user, no ID
    token, no refresh token) and only service scopes."""
    return application.authorization_grant_type == application.GRANT_CLIENT_CREDENTIALS


def issuer() -> str:
    return settings.OIDC_ISSUER


def subject_for(user: User, relying_party: RelyingParty) -> str:
    """`sub`: the user's public UUID, or a pairwise value per sector (OIDC Core 8.1):
    base64url(HMAC-SHA256(key, sector | user UUID)), stable, unlinkable across sectors."""
    if relying_party.subject_type == RelyingParty.SubjectType.PUBLIC:
        return str(user.subject)
    digest = hmac.new(
        derived_key("pairwise-sub"),
        f"{relying_party.sector}|{user.subject}".encode(),
        hashlib.sha256,
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def user_for_subject(sub: str, relying_party: RelyingParty) -> User | None:
    """Reverse of subject_for, for the few places that need it (ID-token hints)."""
    if relying_party.subject_type == RelyingParty.SubjectType.PUBLIC:
        try:
            return User.objects.filter(subject=sub).first()
        except Exception:  # not a UUID
            return None
    return None


def _split_name(full_name: str) -> tuple[str, str, str]:
    """Vietnamese order: family name first, given name last ('Nguyễn Văn An')."""
    words = full_name.split()
    if len(words) < 2:
        return "", "", full_name
    return words[0], " ".join(words[1:-1]), words[-1]


def _e164(phone: str) -> str:
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(phone, "VN"), phonenumbers.PhoneNumberFormat.E164
        )
    except phonenumbers.NumberParseException:
        return phone


def claim_values(user: User) -> dict:
    """Every claim we can state about the user, before filtering by scope."""
    family, middle, given = _split_name(user.full_name or user.username)
    values: dict = {
        "name": user.full_name or user.username,
        "family_name": family,
        "given_name": given,
        "middle_name": middle,
        "preferred_username": user.username,
        "locale": "vi-VN",
        "updated_at": int((user.verified_at or user.date_joined).timestamp()),
    }
    if user.gender:
        values["gender"] = user.gender
    if user.birth_date:
        values["birthdate"] = user.birth_date.isoformat()
    if user.email:
        values["email"] = user.email
        values["email_verified"] = bool(user.email_verified_at)
    if user.phone:
        values["phone_number"] = _e164(user.phone)
        values["phone_number_verified"] = bool(user.phone_verified_at)
    if user.current_address or user.current_commune_id:
        commune = user.current_commune
        parts = [user.current_address]
        address = {"street_address": user.current_address, "country": "VN"}
        if commune is not None:
            address["locality"] = commune.name
            address["region"] = commune.province.name
            parts += [commune.name, commune.province.name]
        address["formatted"] = ", ".join(p for p in parts if p)
        values["address"] = address
    # The ID number is released only for accounts checked at the counter.
    if user.level >= Level.VERIFIED and user.verified_id_number:
        values["id_number"] = user.verified_id_number
    return {k: v for k, v in values.items() if v not in ("", None)}


def claims_for_scopes(user: User, scopes, requested: dict | None = None) -> dict:
    """Claims allowed by the granted scopes; with `requested` (a member of the OIDC
    `claims` parameter), only those asked for, still within the scopes."""
    values = claim_values(user)
    allowed = {c for s in scopes for c in SCOPE_CLAIMS.get(s, [])}
    if requested is not None:
        allowed &= set(requested)
    return {k: v for k, v in values.items() if k in allowed}
