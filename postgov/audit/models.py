"""An append-only, hash-chained audit trail.

Each event stores the hash of the previous one, so editing, inserting or deleting a row
breaks the chain where it happened; `manage.py audit_verify` walks it. The hash is an
HMAC under a key kept outside the database (AUDIT_CHAIN_KEY), so write access to the
database is not enough to rewrite events and recompute the chain after them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AuditChainHead(models.Model):
    """The end of the chain: locked while an event is appended, so appends are serial."""

    name = models.CharField(max_length=20, primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)


class AuditEvent(models.Model):
    seq = models.BigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("time"), db_index=True)
    # Plain ids, not foreign keys: the trail must outlive whatever it talks about.
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, blank=True)
    service_point_id = models.BigIntegerField(_("service point id"), null=True, blank=True)
    agency_id = models.BigIntegerField(_("agency id"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Which key chained the event (an id derived from the key, never the key), so events
    # keep verifying after a rotation. Empty: chained before the chain had a key (plain
    # SHA-256); once keyed events exist, none may follow without a key.
    key_id = models.CharField(_("chain key"), max_length=16, blank=True, default="")

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # The audit page finds an id typed alone without scanning the trail.
            models.Index(fields=["object_id"], name="audit_object_id_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")
