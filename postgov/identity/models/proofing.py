"""In-person identity proofing at the counter (login.gov's in-person proofing model)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EnrolmentCode(models.Model):
    """What the citizen brings to the counter: single use, 80 bits, valid 7 days.

    Looked up by keyed hash; kept sealed too so the account page can show it again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="enrolment_codes"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    code_sealed = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class ProofingCase(models.Model):
    """One counter check of one person's ID card against one account."""

    class Kind(models.TextChoices):
        ENROLMENT_CODE = "code", _("with an enrolment code")
        WALK_IN = "walk_in", _("walk-in")
        ASSISTED = "assisted", _("assisted registration")

    class Status(models.TextChoices):
        OPEN = "open", _("in progress")
        PASSED = "passed", _("passed")
        FAILED = "failed", _("failed")
        REVIEW = "review", _("waiting for supervisor review")
        APPROVED = "approved", _("approved by supervisor")
        REJECTED = "rejected", _("rejected by supervisor")

    class Match(models.TextChoices):
        """How the scanned card compares with the account (`proofing.assess`)."""

        SAME = "same", _("the same person's data")
        CORRECTION = "correction", _("a small correction")
        MISMATCH = "mismatch", _("differs beyond a small correction")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="proofing_cases",
        verbose_name=_("account"),
    )
    service_point = models.ForeignKey(
        "places.ServicePoint", models.PROTECT, related_name="+", verbose_name=_("service point")
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("clerk")
    )
    enrolment_code = models.ForeignKey(
        EnrolmentCode,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enrolment code"),
    )
    # What the ID-card QR said (personal data: kept here for the review, never in the audit).
    card = models.JSONField(_("ID card data"), default=dict, blank=True)
    mismatches = models.JSONField(_("differences"), default=list, blank=True)
    # Beyond a small correction the clerk cannot confirm alone; blank before a scan and
    # for an assisted registration (no account to compare with).
    card_match = models.CharField(
        _("card against the account"), max_length=10, choices=Match.choices, blank=True
    )
    # The account holder is told once per case that a card not matching their account was
    # presented (a second scan does not send a second message).
    holder_notified_at = models.DateTimeField(_("card holder told at"), null=True, blank=True)
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)
    # Another account already verified with this ID number (never merged).
    conflict_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account already verified with this ID"),
    )
    fraud_suspected = models.BooleanField(_("fraud suspected"), default=False)
    note = models.TextField(_("clerk's note"), blank=True)
    review_note = models.TextField(_("supervisor's note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("proofing case")
        verbose_name_plural = _("proofing cases")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"
