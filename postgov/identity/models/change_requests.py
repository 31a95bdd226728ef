"""Changes that take effect only once a second administrator approves them (four eyes):
role grants, relying parties (portals) and upstream identity providers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeRequest(models.Model):
    """What an administrator asked for, kept until a different administrator with
    authority over the same scope approves it (then it is applied) or rejects it.

    `payload` holds the proposed values by field (`after`), the values they replace
    (`before`, to refuse a change overtaken by another one) and nothing secret in clear:
    a new client secret is kept as its hash, an upstream provider's secret sealed."""

    class Kind(models.TextChoices):
        ROLE_ASSIGNMENT = "role_assignment", _("role assignment")
        RELYING_PARTY = "relying_party", _("relying party (portal)")
        UPSTREAM_PROVIDER = "upstream_provider", _("upstream identity provider")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a second administrator")
        APPROVED = "approved", _("approved and applied")
        REJECTED = "rejected", _("rejected")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The row changed; empty when the request creates one (then `result_id` names it).
    target_id = models.BigIntegerField(_("object"), null=True, blank=True)
    result_id = models.BigIntegerField(_("created row"), null=True, blank=True, editable=False)
    # Whom a role grant is for: they may not decide it.
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="change_requests_about",
        verbose_name=_("for"),
    )
    # Whose administrators decide: those of this province, or national administrators
    # when it is empty (national objects, national roles).
    province = models.ForeignKey(
        "places.Province",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
    )
    payload = models.JSONField(_("proposed values"), default=dict, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="change_requests_made",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
        db_index=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("change waiting for approval")
        verbose_name_plural = _("changes waiting for approval")
        constraints = [
            # Four eyes held by the database too: whoever asked never decides.
            models.CheckConstraint(
                name="change_request_decided_by_another",
                condition=~models.Q(decided_by=models.F("requested_by")),
            ),
            models.CheckConstraint(
                name="change_request_decision_matches_status",
                condition=(
                    models.Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                    | (
                        models.Q(status__in=["approved", "rejected"])
                        & models.Q(decided_by__isnull=False, decided_at__isnull=False)
                    )
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "province"], name="change_request_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} ({self.get_status_display()})"
