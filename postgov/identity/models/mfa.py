"""Second factors: authenticator apps (TOTP), passkeys (WebAuthn), printed backup codes.

SMS codes to the verified phone are the fourth kind; they live in OneTimeCode.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TotpDevice(models.Model):
    """An authenticator app (RFC 6238, 30 s, 6 digits). The secret is sealed at rest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="totp_devices")
    name = models.CharField(_("name"), max_length=60)
    secret_sealed = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step accepted: a code is never accepted twice (replay).
    last_step = models.BigIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return self.name


class BackupCode(models.Model):
    """One printed single-use code (NIST look-up secret); only its keyed hash is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="backup_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"], name="backup_code_lookup_idx")]


class Passkey(models.Model):
    """A WebAuthn credential (a passkey or a security key) used as a second factor.

    Only the public key is kept (COSE, as the authenticator gave it); the credential id is
    stored base64url-encoded, as browsers send it, so a login can look it up directly."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="passkeys")
    name = models.CharField(_("name"), max_length=60)
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()
    # The authenticator's signature counter; a value that does not grow (when it is used
    # at all) means a cloned authenticator, and the login is refused.
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    aaguid = models.CharField(max_length=36, blank=True)
    backed_up = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")

    def __str__(self) -> str:
        return self.name


class SecondFactorAttempts(models.Model):
    """Wrong second factors given for one account, kept in the database so that neither a
    new login (a correct password) nor a new session wipes them. Every attempt is counted
    before it is checked, by a conditional update, so concurrent attempts cannot share a
    slot; a correct second factor resets the count."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        primary_key=True,
        related_name="second_factor_attempts",
    )
    # Attempts since the last success; an attempt in flight is already counted.
    failures = models.PositiveIntegerField(default=0)
    # No attempt is checked before this (the backoff after the free attempts).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set when the failures reached the stop: no attempt at all until `stopped_until`
    # (or until an administrator lifts the stop when it is empty).
    stopped_at = models.DateTimeField(_("second factor stopped at"), null=True, blank=True)
    stopped_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("second-factor attempts")
        verbose_name_plural = _("second-factor attempts")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.failures}"
