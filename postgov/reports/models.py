"""Daily roll-ups: the figures of one day per province, receiving post office, procedure
and agency, kept so that the reports read a few thousand rows instead of the dossiers.
Written only by `postgov.reports.rollups.update_day` (recomputed from the event log)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class _DailyKey(models.Model):
    day = models.DateField(_("day"))
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    point = models.ForeignKey("places.ServicePoint", models.PROTECT, related_name="+")
    procedure = models.ForeignKey("catalog.Procedure", models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        "agencies.Agency", models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True


class DailyVolume(_DailyKey):
    """What happened to dossiers on `day`, counted by the dossier's receiving point,
    procedure and agency; money is what was due at sealing for the dossiers sealed that day.
    Postal orders have their own figures, by the post office that serves them."""

    sealed = models.PositiveIntegerField(_("received"), default=0)
    handed_over = models.PositiveIntegerField(_("handed to the agency"), default=0)
    results_ready = models.PositiveIntegerField(_("results ready"), default=0)
    delivered = models.PositiveIntegerField(_("delivered"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)
    procedure_fees = models.PositiveBigIntegerField(_("procedure fees"), default=0)
    postage = models.PositiveBigIntegerField(_("postage"), default=0)
    remittance_fees = models.PositiveBigIntegerField(_("fee-remittance charges"), default=0)
    total_due = models.PositiveBigIntegerField(_("total collected"), default=0)
    # Postal orders (decision 0016), their own kind: counted by the order's post office,
    # procedure and agency, never in the dossiers' figures above.
    orders_taken = models.PositiveIntegerField(_("postal orders taken"), default=0, db_default=0)
    orders_delivered = models.PositiveIntegerField(
        _("postal orders delivered"), default=0, db_default=0
    )
    originals_handed_over = models.PositiveIntegerField(
        _("originals handed to the agency"), default=0, db_default=0
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "province", "point", "procedure", "agency"],
                name="daily_volume_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["province", "day"], name="daily_volume_prov_day")]


class DailyLegs(_DailyKey):
    """Legs (workflow.SEGMENTS) that ended on `day`, on time and late."""

    segment = models.CharField(_("leg"), max_length=12)
    on_time = models.PositiveIntegerField(_("on time"), default=0)
    late = models.PositiveIntegerField(_("late"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "province", "point", "procedure", "agency", "segment"],
                name="daily_legs_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["province", "day"], name="daily_legs_prov_day")]
