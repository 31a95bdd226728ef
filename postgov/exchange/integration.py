"""Credentials and endpoints of agencies' own systems: API keys (only a hash stored, shown
once), OAuth2 clients (client credentials grant, secret hashed and shown once), webhook
endpoints (a signing secret, sealed and shown once), and who may manage them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model, get_application_model

from postgov.agencies.models import Agency
from postgov.audit.actions import record
from postgov.exchange.models import AgencyClient, ApiKey, WebhookEndpoint
from postgov.identity.models import Role
from postgov.lib.locking import lock_one

KEY_PREFIX = "pgk"
READ = "agency.dossiers.read"
WRITE = "agency.dossiers.write"
AGENCY_SCOPES = (READ, WRITE)
# Writing last_used_at on every call would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def key_digest(raw: str) -> str:
    # Keys are 256-bit random values: a plain SHA-256 is enough (no password stretching).
    return hashlib.sha256(raw.encode()).hexdigest()


def approved_at(user):
    """A credential a person makes waits for a second person; one made from the server's
    command line (no user: the demo, the benchmarks, an operator's script) does not."""
    return timezone.now() if user is None else None


def can_manage(access, agency: Agency) -> bool:
    """The agency's officers and the province's administrators manage its integrations."""
    return access.can_act_for_agency(agency.pk, Role.AGENCY_OFFICER) or (
        Role.PROVINCIAL_ADMIN in access.roles
        and agency.province_id in access.province_ids(Role.PROVINCIAL_ADMIN)
    )


def manageable_agencies(access):
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
            key_hash=key_digest(raw),
            created_by=user,
            approved_at=approved_at(user),
        )
        record(
            "agency.api_key_created",
            request=request,
            actor=user,
            obj=key,
            agency_id=agency.pk,
            details={"prefix": prefix, "name": key.name, "waiting": key.waiting_for_approval},
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
        .filter(
            prefix=parts[1],
            revoked_at__isnull=True,
            approved_at__isnull=False,
            agency__active=True,
        )
        .first()
    )
    if key is None or not hmac.compare_digest(key.key_hash, key_digest(raw.strip())):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


@dataclass(frozen=True)
class Credential:
    """Who calls the agency API: an API key (every scope) or an OAuth2 access token
    (the scopes it was granted). Everything the API does is scoped to `agency`."""

    agency: Agency
    kind: str  # "api_key" or "oauth"
    label: str  # the key's prefix or the client id: safe to log, never the secret
    scopes: frozenset[str] = field(default_factory=lambda: frozenset(AGENCY_SCOPES))

    @property
    def agency_id(self) -> int:
        return self.agency.pk

    @property
    def throttle_key(self) -> str:
        return f"agency-{self.kind}:{self.label}"

    def allows(self, scope: str) -> bool:
        return scope in self.scopes

    def via(self) -> dict:
        who = {"api_key": self.label} if self.kind == "api_key" else {"oauth_client": self.label}
        return {"channel": "api", "agency": self.agency.unit_code, **who}


def key_credential(raw: str | None) -> Credential | None:
    key = authenticate_key(raw)
    if key is None:
        return None
    return Credential(agency=key.agency, kind="api_key", label=key.prefix)


def token_credential(raw: str | None) -> Credential | None:
    """The agency behind a live OAuth2 access token issued by the client credentials grant
    to an agency client that is not revoked, or None. User tokens never count here."""
    if not raw or len(raw) > 255 or "\x00" in raw:
        return None
    checksum = hashlib.sha256(raw.strip().encode()).hexdigest()
    token = (
        get_access_token_model()
        .objects.select_related("application")
        .filter(token_checksum=checksum)
        .first()
    )
    if (
        token is None
        or token.is_expired()
        or token.user_id is not None
        or token.application is None
        or not token.application.active
    ):
        return None
    client = (
        AgencyClient.objects.select_related("agency")
        .filter(
            application=token.application,
            revoked_at__isnull=True,
            approved_at__isnull=False,
            agency__active=True,
        )
        .first()
    )
    scopes = frozenset(token.scope.split()) & frozenset(AGENCY_SCOPES)
    if client is None or not scopes:
        return None
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
        AgencyClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return Credential(
        agency=client.agency, kind="oauth", label=token.application.client_id, scopes=scopes
    )


def bearer_credential(raw: str | None) -> Credential | None:
    """`Authorization: Bearer` carries an API key or an OAuth2 access token."""
    if raw and raw.strip().startswith(KEY_PREFIX + "_"):
        return key_credential(raw)
    return token_credential(raw)


def request_credential(request) -> Credential | None:
    """The credential of a request, from its headers (as the API's authentication reads
    them); remembered on the request so it is looked up once."""
    if hasattr(request, "_agency_credential"):
        return request._agency_credential
    raw = request.headers.get("X-API-Key")
    if raw is not None:
        credential = key_credential(raw)
    else:
        authorization = request.headers.get("Authorization", "")
        credential = None
        if authorization[:7].lower() == "bearer ":
            credential = bearer_credential(authorization[7:])
    request._agency_credential = credential
    return credential


def create_oauth_client(
    agency: Agency, name: str, scopes, *, user=None, request=None
) -> tuple[AgencyClient, str]:
    """A confidential OAuth2 client for the agency's system (client credentials grant,
    HTTP Basic at the token endpoint). The secret is returned once; only a hash is kept."""
    scopes = [s for s in AGENCY_SCOPES if s in set(scopes)] or [READ]
    Application = get_application_model()
    secret = secrets.token_urlsafe(36)
    label = name.strip()[:100] or "API"
    with transaction.atomic():
        application = Application(
            name=f"{agency.short_name or agency.name}: {label}"[:255],
            client_id="pgc_" + secrets.token_hex(12),
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,
            redirect_uris="",
            allowed_scopes=scopes,
            token_endpoint_auth_method=Application.AuthMethod.SECRET_BASIC,
            skip_authorization=True,
            # No token until a second person approves a client a person made.
            active=user is None,
        )
        application.save()
        client = AgencyClient.objects.create(
            agency=agency,
            application=application,
            name=label,
            created_by=user,
            approved_at=approved_at(user),
        )
        record(
            "agency.oauth_client_created",
            request=request,
            actor=user,
            obj=client,
            agency_id=agency.pk,
            details={
                "client_id": application.client_id,
                "name": label,
                "scopes": scopes,
                "waiting": client.waiting_for_approval,
            },
        )
    return client, secret


def revoke_oauth_client(client: AgencyClient, *, user=None, request=None) -> None:
    """The client can no longer get tokens, and the tokens it holds stop working now."""
    with transaction.atomic():
        client = lock_one(AgencyClient, client.pk)
        if client.revoked_at is not None:
            return
        client.revoked_at = timezone.now()
        client.revoked_by = user
        client.save(update_fields=["revoked_at", "revoked_by"])
        application = client.application
        application.active = False
        application.save(update_fields=["active"])
        deleted, _ = get_access_token_model().objects.filter(application=application).delete()
        record(
            "agency.oauth_client_revoked",
            request=request,
            actor=user,
            obj=client,
            agency_id=client.agency_id,
            details={"client_id": application.client_id, "tokens_revoked": deleted},
        )


def create_webhook(agency: Agency, url: str, *, user=None, request=None):
    secret = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        endpoint = WebhookEndpoint(
            agency=agency, url=url, created_by=user, approved_at=approved_at(user)
        )
        endpoint.set_signing_secret(secret)
        endpoint.save()
        record(
            "agency.webhook_created",
            request=request,
            actor=user,
            obj=endpoint,
            agency_id=agency.pk,
            details={"url": url, "waiting": endpoint.waiting_for_approval},
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


class ApprovalRefused(Exception):
    """Why a credential or endpoint cannot be approved, in the user's language."""


APPROVABLE = {ApiKey: "api_key", AgencyClient: "oauth_client", WebhookEndpoint: "webhook"}


def approve(item: ApiKey | AgencyClient | WebhookEndpoint, *, user, access, request=None):
    """A second person who manages the agency lets a credential or endpoint work (four
    eyes): never the person who made it. Approving twice changes nothing."""
    model = type(item)
    with transaction.atomic():
        item = lock_one(model, item.pk)
        if item.approved_at is not None:
            return item
        if getattr(item, "revoked_at", None) is not None:
            raise ApprovalRefused(_("It was revoked: there is nothing to approve."))
        if item.created_by_id == user.pk:
            raise ApprovalRefused(
                _("Another person who manages this agency's integration must approve it.")
            )
        if not can_manage(access, item.agency):
            raise ApprovalRefused(_("You do not manage this agency's integration."))
        item.approved_at = timezone.now()
        item.approved_by = user
        item.save(update_fields=["approved_at", "approved_by"])
        if isinstance(item, AgencyClient):
            application = item.application
            application.active = True
            application.save(update_fields=["active"])
        record(
            "agency.integration_approved",
            request=request,
            actor=user,
            obj=item,
            agency_id=item.agency_id,
            details={"kind": APPROVABLE[model], "label": approval_label(item)},
        )
    return item


def approval_label(item) -> str:
    """What names it in the audit trail: never a secret."""
    if isinstance(item, ApiKey):
        return item.prefix
    if isinstance(item, AgencyClient):
        return item.application.client_id
    return item.url
