"""The OpenID Connect provider's own records: relying parties (DOT's Application,
swapped), authorization codes (DOT's Grant, swapped), signing keys and consents."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication, AbstractGrant
from oauth2_provider.settings import oauth2_settings

SCOPE_CHOICES = (
    ("openid", _("Identify you (required)")),
    ("profile", _("Name, gender and date of birth")),
    ("email", _("E-mail address")),
    ("phone", _("Mobile phone number")),
    ("address", _("Current address")),
    ("id_number", _("Verified ID number (level 2 accounts only)")),
)


class RelyingParty(AbstractApplication):
    """A portal that logs citizens in with PostID. Managed by administrators only."""

    class SubjectType(models.TextChoices):
        PUBLIC = "public", _("public (the same identifier for every portal)")
        PAIRWISE = "pairwise", _("pairwise (a different identifier per sector)")

    class AuthMethod(models.TextChoices):
        SECRET_BASIC = "client_secret_basic", "client_secret_basic"
        SECRET_POST = "client_secret_post", "client_secret_post"
        PRIVATE_KEY_JWT = "private_key_jwt", "private_key_jwt"
        NONE = "none", _("none (public client, PKCE)")

    description = models.CharField(_("description"), max_length=300, blank=True)
    logo = models.ImageField(_("logo"), upload_to="rp-logos/", blank=True)
    allowed_scopes = models.JSONField(_("allowed scopes"), default=list, blank=True)
    min_level = models.PositiveSmallIntegerField(
        _("minimum assurance level"), default=1, choices=[(1, "1"), (2, "2")]
    )
    subject_type = models.CharField(
        _("subject type"), max_length=10, choices=SubjectType.choices, default=SubjectType.PAIRWISE
    )
    # Part of every pairwise subject: fixed when the portal is registered, so adding or
    # removing a redirect URI never changes the identifiers its users already have.
    sector_identifier = models.CharField(
        _("sector identifier (host)"),
        max_length=255,
        blank=True,
        help_text=_(
            "Portals with the same sector see the same pairwise identifier. Left empty: the "
            "host of the first redirect URI. It cannot change once the portal is saved."
        ),
    )
    token_endpoint_auth_method = models.CharField(
        _("client authentication"),
        max_length=30,
        choices=AuthMethod.choices,
        default=AuthMethod.SECRET_BASIC,
    )
    jwks = models.JSONField(_("public keys (JWKS) for private_key_jwt"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    upstream_providers = models.ManyToManyField(
        "identity.UpstreamProvider",
        blank=True,
        related_name="relying_parties",
        verbose_name=_("external identity providers allowed"),
    )

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        verbose_name = _("relying party (portal)")
        verbose_name_plural = _("relying parties (portals)")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(sector_identifier=""), name="relying_party_has_a_sector"
            )
        ]

    # OpenID Connect Core 3.1.2.1: simple string comparison, no exceptions (not even
    # RFC 8252 loopback ports): what was registered is what is accepted.
    def redirect_uri_allowed(self, uri: str) -> bool:
        return isinstance(uri, str) and uri in self.redirect_uris.split()

    def post_logout_redirect_uri_allowed(self, uri: str) -> bool:
        return isinstance(uri, str) and uri in self.post_logout_redirect_uris.split()

    def is_usable(self, request) -> bool:
        return self.active

    @property
    def jwk_key(self):
        # Not at the top: the keys module imports these models.
        from postgov.identity.oidc.keys import current_signing_jwk

        return current_signing_jwk()

    @property
    def sector(self) -> str:
        return self.sector_identifier or self.default_sector()

    def default_sector(self) -> str:
        """What a new portal's sector is when none is given: the first of its redirect
        hosts in alphabetical order (what every portal computed before the sector was
        stored), or its client id when it has none (a machine client)."""
        return default_sector(self.redirect_uris, self.client_id)

    @property
    def is_public(self) -> bool:
        return self.client_type == self.CLIENT_PUBLIC

    def clean(self) -> None:
        errors: dict[str, list] = {}
        for field in ("redirect_uris", "post_logout_redirect_uris"):
            for uri in getattr(self, field).split():
                parts = urlsplit(uri)
                loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
                if parts.scheme not in ("https", "http") or not parts.hostname:
                    errors.setdefault(field, []).append(
                        _("%(uri)s is not a web address.") % {"uri": uri}
                    )
                elif parts.scheme == "http" and (
                    "http" not in oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES
                    or not (loopback or settings.DEBUG)
                ):
                    errors.setdefault(field, []).append(
                        _("%(uri)s must use https (http only on this machine).") % {"uri": uri}
                    )
                elif parts.fragment or "#" in uri:
                    errors.setdefault(field, []).append(
                        _("%(uri)s must not have a fragment.") % {"uri": uri}
                    )
        if not self.redirect_uris.split():
            errors.setdefault("redirect_uris", []).append(_("Register at least one redirect URI."))
        unknown = set(self.allowed_scopes or []) - {code for code, _label in SCOPE_CHOICES}
        if unknown:
            errors["allowed_scopes"] = [
                _("Unknown scopes: %(s)s") % {"s": ", ".join(sorted(unknown))}
            ]
        if (
            self.client_type == self.CLIENT_PUBLIC
            and self.token_endpoint_auth_method != self.AuthMethod.NONE
        ):
            errors.setdefault("token_endpoint_auth_method", []).append(
                _("A public client has no secret: choose 'none'.")
            )
        if (
            self.client_type == self.CLIENT_CONFIDENTIAL
            and self.token_endpoint_auth_method == self.AuthMethod.NONE
        ):
            errors.setdefault("token_endpoint_auth_method", []).append(
                _("A confidential client must authenticate.")
            )
        if self.token_endpoint_auth_method == self.AuthMethod.PRIVATE_KEY_JWT and not (
            self.jwks or {}
        ).get("keys"):
            errors.setdefault("jwks", []).append(
                _("private_key_jwt needs the portal's public keys.")
            )
        stored = (
            RelyingParty.objects.filter(pk=self.pk)
            .values_list("sector_identifier", flat=True)
            .first()
            if self.pk is not None
            else None
        )
        if not stored and not self.sector_identifier:
            # Filled here, not only in save(): the constraint is checked before saving.
            self.sector_identifier = self.default_sector()
        if stored and self.sector_identifier != stored:
            errors.setdefault("sector_identifier", []).append(
                _(
                    "The sector cannot change: every pairwise identifier this portal "
                    "knows its users by would change. Keep %(sector)s."
                )
                % {"sector": stored}
            )
            self.sector_identifier = self.sector_identifier or stored  # shown again
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.algorithm = self.RS256_ALGORITHM
        if not self.sector_identifier:
            self.sector_identifier = self.default_sector()
        if self.authorization_grant_type == self.GRANT_CLIENT_CREDENTIALS:
            # A machine client (an agency's system, created by postgov.agencies): no user,
            # so no "openid"; the token endpoint lets it use this grant only.
            self.allowed_scopes = [s for s in self.allowed_scopes or [] if s != "openid"]
        else:
            # Portals log people in with the code flow, nothing else.
            self.authorization_grant_type = self.GRANT_AUTHORIZATION_CODE
            if "openid" not in (self.allowed_scopes or []):
                self.allowed_scopes = ["openid", *(self.allowed_scopes or [])]
        super().save(*args, **kwargs)


def default_sector(redirect_uris: str, client_id: str) -> str:
    hosts = {urlsplit(uri).hostname or "" for uri in redirect_uris.split()}
    return sorted(hosts)[0] if hosts else client_id


class AuthorizationCode(AbstractGrant):
    """DOT's Grant plus how the user authenticated, and what it was exchanged for.

    Codes are marked used instead of deleted, so a second use is recognised and the
    tokens issued from the first are revoked (RFC 6749 4.1.2)."""

    auth_time = models.DateTimeField(null=True, blank=True)
    acr = models.CharField(max_length=40, blank=True)
    amr = models.JSONField(default=list, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    token_family = models.UUIDField(null=True, blank=True, db_index=True)
    access_token_id = models.BigIntegerField(null=True, blank=True)

    class Meta(AbstractGrant.Meta):
        swappable = "OAUTH2_PROVIDER_GRANT_MODEL"


class SigningKey(models.Model):
    """RS256 keys for ID tokens. One active key signs; retired keys stay published in the
    JWKS until every token they signed has expired; the private key is sealed."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active (signs)")
        RETIRED = "retired", _("retired (verifies only)")
        REMOVED = "removed", _("removed")

    kid = models.CharField(_("key id"), max_length=64, unique=True)
    private_pem_sealed = models.TextField(
        _("private key (sealed)"),
    )
    public_jwk = models.JSONField(
        _("public key"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="active"),
                name="one_active_signing_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kid[:12]}… ({self.get_status_display()})"


class Consent(models.Model):
    """The scopes a citizen agreed to share with one portal, remembered."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="consents")
    relying_party = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, models.CASCADE, related_name="consents"
    )
    scopes = models.JSONField(default=list)
    granted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "relying_party"], name="unique_consent")
        ]


class UsedClientAssertion(models.Model):
    """private_key_jwt: each assertion's jti is accepted once (replay protection)."""

    relying_party = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, models.CASCADE, related_name="+"
    )
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["relying_party", "jti"], name="unique_assertion_jti")
        ]
