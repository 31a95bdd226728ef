"""What talks to systems outside PostGov: agencies' credentials (API keys, OAuth2
clients), idempotency records, webhooks and the national-portal sync queue.

The tables kept their names when the models left `agencies` (migrations
agencies.0006 and exchange.0001 moved only Django's state), so each model names its table."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from postgov.lib.sealing import seal, unseal

WEBHOOK_SECRET_PURPOSE = "webhook-signing-secret"  # noqa: S105  (a key label)


class SecondApproval(models.Model):
    """A credential or endpoint made by a person works only once a second person who
    manages the same agency approves it (four eyes). Made from the server's command line
    it is approved at once; rows from before approvals existed carry their creation time
    and no approver."""

    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        "identity.User", models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def waiting_for_approval(self) -> bool:
        return self.approved_at is None


class AgencyCredential(SecondApproval):
    """What every credential of an agency's system records: who made it, when it was
    last used, and its revocation."""

    created_by = models.ForeignKey(
        "identity.User", models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "identity.User", models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta(SecondApproval.Meta):
        abstract = True


class ApiKey(AgencyCredential):
    """A credential of one agency's own system. Only a hash of the key is stored; the key
    is shown once when created. The prefix identifies it in lists and logs."""

    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)

    class Meta:
        db_table = "agencies_apikey"
        ordering = ["agency", "-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class IdempotencyRecord(models.Model):
    """The answer given to a mutating API call with an Idempotency-Key, replayed when the
    same call is retried (same key, same request); a different request under the same key
    is refused."""

    agency = models.ForeignKey("agencies.Agency", models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # None: in progress
    response_body = models.TextField(blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "agencies_idempotencyrecord"
        constraints = [
            models.UniqueConstraint(fields=["agency", "key"], name="unique_idempotency_key")
        ]


class WebhookEndpoint(SecondApproval):
    """Where an agency's system wants to hear about its dossiers."""

    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="webhooks")
    url = models.URLField(_("URL"), max_length=500)
    # Each delivery is signed with it (HMAC), so it cannot be kept as a hash like an API
    # key: it is sealed (AES-GCM, `signing_secret`) and shown once, when it is made.
    secret_sealed = models.TextField(editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        "identity.User", models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "agencies_webhookendpoint"
        ordering = ["agency", "-created_at"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.url

    def set_signing_secret(self, secret: str) -> None:
        self.secret_sealed = seal(secret, WEBHOOK_SECRET_PURPOSE)

    def signing_secret(self) -> str:
        return unseal(self.secret_sealed, WEBHOOK_SECRET_PURPOSE)


class WebhookDelivery(models.Model):
    """One notification to one endpoint, its attempts and outcome (the delivery log)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        RETRYING = "retrying", _("retrying")
        FAILED = "failed", _("failed")

    endpoint = models.ForeignKey(WebhookEndpoint, models.PROTECT, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    dossier = models.ForeignKey(
        "dossiers.Dossier", models.PROTECT, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "dossiers.PostalOrder", models.PROTECT, null=True, blank=True, related_name="+"
    )
    payload = models.TextField()  # the exact JSON body that is signed and sent
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker sends it (outside any transaction): others leave it alone.
    sending_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resent_from = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="resends"
    )

    class Meta:
        db_table = "agencies_webhookdelivery"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "created_at"], name="webhook_log_idx")]

    @property
    def last_error_label(self) -> str:
        # Translated at display time: the row keeps the coarse reason in English. Not at
        # the top: webhooks imports these models.
        from postgov.exchange.webhooks import error_label

        return error_label(self.last_error) if self.last_error else ""


class PortalSyncItem(models.Model):
    """One message for the national public service portal: a dossier pushed
    (DongBoHoSoMC) or its progress (CapNhatTienDoHoSoMC). Sent in order per dossier."""

    class Service(models.TextChoices):
        DOSSIER = "DongBoHoSoMC", _("dossier")
        PROGRESS = "CapNhatTienDoHoSoMC", _("progress")

    class Status(models.TextChoices):
        PENDING = "pending", _("not yet synced")
        SYNCED = "synced", _("synced")
        RETRYING = "retrying", _("retrying")
        FAILED = "failed", _("failed, needs attention")

    dossier = models.ForeignKey(
        "dossiers.Dossier", models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A postal order's steps for a dossier that lives on the portal (decision 0016).
    order = models.ForeignKey(
        "dossiers.PostalOrder", models.PROTECT, null=True, blank=True, related_name="+"
    )
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    service = models.CharField(max_length=24, choices=Service.choices)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_until = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "agencies_portalsyncitem"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["dossier", "status"], name="portal_dossier_idx")]

    @property
    def last_error_label(self) -> str:
        # Not at the top: portal imports these models.
        from postgov.exchange.portal import error_label

        return error_label(self.last_error) if self.last_error else ""


class AgencyClient(AgencyCredential):
    """OAuth2 client credentials of one agency's own system: a confidential application
    of the PostID provider allowed only the client_credentials grant, with the agency API
    scopes. Its secret is stored hashed by the provider and shown once when created."""

    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="oauth_clients")
    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, models.PROTECT, related_name="agency_client"
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        db_table = "agencies_agencyclient"
        ordering = ["agency", "-created_at"]
        verbose_name = _("OAuth2 client")
        verbose_name_plural = _("OAuth2 clients")

    def __str__(self) -> str:
        return f"{self.application.client_id} ({self.name})"

    @property
    def scopes(self) -> list[str]:
        return list(self.application.allowed_scopes or [])
