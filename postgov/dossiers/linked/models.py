"""A package taken in for a linked procedure (decision 0024), and its parts.

Each part is a `Dossier` of its own, with its agency, legal clock, manifests and agency
steps; the package holds what is one for the citizen: the tracking code, the fee total
with its lines, the single return. The part's step and the parts that feed it are copied
from the catalog at intake, so a later change of the linked procedure leaves the package
as it was taken in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PackageStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("Parts being processed")
    RETURNING = "returning", _("Every part has a result: on the way back")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")


class LinkedDossier(models.Model):
    code = models.CharField(_("package code"), max_length=40, unique=True)
    linked_procedure = models.ForeignKey(
        "catalog.LinkedProcedure",
        models.PROTECT,
        related_name="packages",
        verbose_name=_("linked procedure"),
    )
    # The counter's one-time token: a double submit finds this package.
    intake_token = models.UUIDField(unique=True)
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    receiving_point = models.ForeignKey(
        "places.ServicePoint",
        models.PROTECT,
        related_name="received_packages",
        verbose_name=_("receiving post office"),
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("received by")
    )
    # The applicant's phone is the tracking check (its last four digits), as for a dossier.
    applicant_name = models.CharField(_("full name"), max_length=200)
    applicant_phone = models.CharField(_("mobile phone"), max_length=20)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=PackageStatus.choices,
        default=PackageStatus.IN_PROGRESS,
        db_index=True,
    )
    total_due = models.PositiveIntegerField(_("total"), default=0)
    # The lines of the total, as shown and printed at the counter: [{label, amount}].
    fee_lines = models.JSONField(_("fees"), default=list)
    ready_at = models.DateTimeField(_("every part has a result"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("linked package")
        verbose_name_plural = _("linked packages")

    def __str__(self) -> str:
        return self.code


class PackagePart(models.Model):
    package = models.ForeignKey(LinkedDossier, models.PROTECT, related_name="parts")
    dossier = models.OneToOneField("dossiers.Dossier", models.PROTECT, related_name="package_part")
    step = models.PositiveSmallIntegerField(_("step"))
    # The part whose return item carries every part's result back (one S10, one proof).
    lead = models.BooleanField(_("carries the return"), default=False)
    fed_by = models.ManyToManyField("self", symmetrical=False, related_name="feeds", blank=True)
    # The results that travelled with the part when it started: [{code, procedure,
    # documents: [{name, number, issued_on}]}].
    inputs = models.JSONField(_("results received from other parts"), default=list)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)

    class Meta:
        ordering = ["package", "step", "id"]

    def __str__(self) -> str:
        return f"{self.package_id}:{self.step}:{self.dossier_id}"
