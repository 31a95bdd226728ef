"""Second factors: authenticator apps (TOTP) and printed backup codes.

SMS codes to the verified phone are the third kind; they live in OneTimeCode.
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
