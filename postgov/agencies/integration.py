"""Credentials and endpoints of agencies' own systems: API keys (only a hash stored, shown
once), webhook endpoints (a signing secret, shown once), and who may manage them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from postgov.agencies.models import Agency, ApiKey, WebhookEndpoint
from postgov.audit.actions import record
from postgov.identity.models import Role

KEY_PREFIX = "pgk"
# Writing last_used_at on every call would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(raw: str) -> str:
    # Keys are 256-bit random values: a plain SHA-256 is enough (no password stretching).
    return hashlib.sha256(raw.encode()).hexdigest()


def can_manage(access, agency: Agency) -> bool:
    """The agency's officers and the province's administrators manage its integrations."""
    return access.can_act_for_agency(agency.pk, Role.AGENCY_OFFICER) or (
        Role.PROVINCIAL_ADMIN in access.roles
        and agency.province_id in access.province_ids(Role.PROVINCIAL_ADMIN)
    )


def manageable_agencies(access):
    from django.db.models import Q

    return Agency.objects.filter(
        Q(pk__in=access.agency_ids(Role.AGENCY_OFFICER))
        | Q(province__in=access.province_ids(Role.PROVINCIAL_ADMIN))
    )


def create_api_key(agency: Agency, name: str, *, user=None, request=None) -> tuple[ApiKey, str]:
    """A new key for the agency; the plain key is returned once and never stored."""
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            agency=agency,
            name=name.strip()[:100] or "API",
            prefix=prefix,
            key_hash=_digest(raw),
            created_by=user,
        )
        record(
            "agency.api_key_created",
            request=request,
            actor=user,
            obj=key,
            agency_id=agency.pk,
            details={"prefix": prefix, "name": key.name},
        )
    return key, raw


def revoke_api_key(key: ApiKey, *, user=None, request=None) -> None:
    with transaction.atomic():
        if key.revoked_at is not None:
            return
        key.revoked_at = timezone.now()
        key.revoked_by = user
        key.save(update_fields=["revoked_at", "revoked_by"])
        record(
            "agency.api_key_revoked",
            request=request,
            actor=user,
            obj=key,
            agency_id=key.agency_id,
            details={"prefix": key.prefix},
        )


def authenticate_key(raw: str | None) -> ApiKey | None:
    """The live key matching `raw`, or None. Compared in constant time."""
    if not raw or len(raw) > 200:
        return None
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 8:
        return None
    key = (
        ApiKey.objects.select_related("agency")
        .filter(prefix=parts[1], revoked_at__isnull=True, agency__active=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.key_hash, _digest(raw.strip())):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def create_webhook(agency: Agency, url: str, *, user=None, request=None):
    secret = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            agency=agency, url=url, secret=secret, created_by=user
        )
        record(
            "agency.webhook_created",
            request=request,
            actor=user,
            obj=endpoint,
            agency_id=agency.pk,
            details={"url": url},
        )
    return endpoint, secret


def set_webhook_active(endpoint: WebhookEndpoint, active: bool, *, user=None, request=None):
    with transaction.atomic():
        endpoint.active = active
        endpoint.save(update_fields=["active"])
        record(
            "agency.webhook_enabled" if active else "agency.webhook_disabled",
            request=request,
            actor=user,
            obj=endpoint,
            agency_id=endpoint.agency_id,
            details={"url": endpoint.url},
        )
