"""Upstream OpenID Connect providers (e.g. VNeID) and the identities linked from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UpstreamProvider(models.Model):
    slug = models.SlugField(_("short name"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    issuer = models.URLField(_("issuer"))
    authorization_endpoint = models.URLField(_("authorization endpoint"))
    token_endpoint = models.URLField(_("token endpoint"))
    jwks_uri = models.URLField(_("JWKS URI"))
    client_id = models.CharField(_("client ID"), max_length=255)
    client_secret_sealed = models.TextField(_("client secret (sealed)"), blank=True, editable=False)
    scopes = models.CharField(_("scopes"), max_length=200, default="openid")
    id_number_claim = models.CharField(
        _("claim holding the verified ID number"), max_length=60, default="id_number"
    )
    max_level = models.PositiveSmallIntegerField(
        _("highest level a login through it may reach"), default=1, choices=[(1, "1"), (2, "2")]
    )
    active = models.BooleanField(_("active"), default=True)
    # Cached public keys of the provider, refreshed when an unknown key id shows up.
    jwks = models.JSONField(_("public keys (JWKS)"), default=dict, blank=True, editable=False)
    jwks_fetched_at = models.DateTimeField(
        _("public keys fetched at"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("upstream identity provider")
        verbose_name_plural = _("upstream identity providers")

    def __str__(self) -> str:
        return self.name


class ExternalIdentity(models.Model):
    provider = models.ForeignKey(UpstreamProvider, models.PROTECT, related_name="identities")
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="external_identities"
    )
    linked_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="unique_external_identity")
        ]
