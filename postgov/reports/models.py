"""Daily roll-ups: the figures of one day per province, receiving post office, procedure
and agency, kept so that the reports read a few thousand rows instead of the dossiers.
Written only by `postgov.reports.rollups.update_day` (recomputed from the event log)."""

from __future__ import annotations

import uuid

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


class _VolumeFigures(models.Model):
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
        abstract = True


class DailyVolume(_DailyKey, _VolumeFigures):
    """What happened to dossiers on `day`, counted by the dossier's receiving point,
    procedure and agency; money is what was due at sealing for the dossiers sealed that day.
    Postal orders have their own figures, by the post office that serves them."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "province", "point", "procedure", "agency"],
                name="daily_volume_key",
                nulls_distinct=False,
            )
        ]
        indexes = [
            # A period's sums are read from the index alone (PostgreSQL), not from rows
            # that a year of days scatters over the whole table.
            models.Index(
                fields=["province", "day"],
                include=[
                    "point",
                    "agency",
                    "sealed",
                    "handed_over",
                    "results_ready",
                    "delivered",
                    "refused",
                    "procedure_fees",
                    "postage",
                    "total_due",
                ],
                name="daily_volume_prov_day_sums",
            ),
        ]


class _LegFigures(models.Model):
    segment = models.CharField(_("leg"), max_length=12)
    on_time = models.PositiveIntegerField(_("on time"), default=0)
    late = models.PositiveIntegerField(_("late"), default=0)

    class Meta:
        abstract = True


class DailyLegs(_DailyKey, _LegFigures):
    """Legs (workflow.SEGMENTS) that ended on `day`, on time and late."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "province", "point", "procedure", "agency", "segment"],
                name="daily_legs_key",
                nulls_distinct=False,
            )
        ]
        indexes = [
            models.Index(
                fields=["province", "day"],
                include=["point", "agency", "segment", "on_time", "late"],
                name="daily_legs_prov_day_sums",
            ),
        ]


class _IndexFigures(models.Model):
    finished = models.PositiveIntegerField(_("finished"), default=0)
    finished_on_time = models.PositiveIntegerField(_("finished on time"), default=0)
    finished_late = models.PositiveIntegerField(_("finished late"), default=0)
    received = models.PositiveIntegerField(_("received"), default=0)
    received_digitised = models.PositiveIntegerField(_("scanned at intake"), default=0)
    results = models.PositiveIntegerField(_("results"), default=0)
    results_digitised = models.PositiveIntegerField(_("results digitised"), default=0)
    # The citizens' ratings of their delivered dossiers (DossierRating), on the day given.
    ratings = models.PositiveIntegerField(_("ratings"), default=0, db_default=0)
    rating_sum = models.PositiveIntegerField(_("sum of ratings"), default=0, db_default=0)

    class Meta:
        abstract = True


class DailyServiceIndex(_DailyKey, _IndexFigures):
    """The parts of the service index the post's own records give, for the dossiers of
    `day` by receiving point, procedure and agency (how each is worked out:
    docs/architecture.md, "Service index")."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "province", "point", "procedure", "agency"],
                name="daily_index_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["province", "day"], name="daily_index_prov_day")]


class _DailyPointKey(models.Model):
    day = models.DateField(_("day"))
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    point = models.ForeignKey("places.ServicePoint", models.PROTECT, related_name="+")

    class Meta:
        abstract = True


WAIT_BOUNDS = (5, 10, 15, 20, 30, 45, 60, 90, 120)


class _QueueFigures(models.Model):
    issued = models.PositiveIntegerField(_("tickets issued"), default=0)
    served = models.PositiveIntegerField(_("served"), default=0)
    no_shows = models.PositiveIntegerField(_("did not come"), default=0)
    called = models.PositiveIntegerField(_("called"), default=0)
    wait_minutes = models.FloatField(_("minutes waited"), default=0)
    # Tickets called after waiting at most n minutes (WAIT_BOUNDS), each counted once,
    # under the first bound it is within; longer waits only in `called`.
    waits_5 = models.PositiveIntegerField(default=0)
    waits_10 = models.PositiveIntegerField(default=0)
    waits_15 = models.PositiveIntegerField(default=0)
    waits_20 = models.PositiveIntegerField(default=0)
    waits_30 = models.PositiveIntegerField(default=0)
    waits_45 = models.PositiveIntegerField(default=0)
    waits_60 = models.PositiveIntegerField(default=0)
    waits_90 = models.PositiveIntegerField(default=0)
    waits_120 = models.PositiveIntegerField(default=0)
    within_target = models.PositiveIntegerField(_("called within the target"), default=0)
    ratings = models.PositiveIntegerField(_("ratings"), default=0)
    rating_sum = models.PositiveIntegerField(_("sum of ratings"), default=0)

    class Meta:
        abstract = True


class DailyQueue(_DailyPointKey, _QueueFigures):
    """A point's waiting room on `day` (postgov.queues.figures, from the ticket events).
    Waits are kept as a sum and counted by how long they were (at most 5 minutes, at most
    10...), so that a period's mean and 90th percentile come from the roll-ups alone."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "point"], name="daily_queue_key"),
        ]
        indexes = [models.Index(fields=["province", "day"], name="daily_queue_prov_day")]


class _IdentityFigures(models.Model):
    accounts_created = models.PositiveIntegerField(_("accounts created"), default=0)
    proofed = models.PositiveIntegerField(_("identities proofed"), default=0)
    proofing_failed = models.PositiveIntegerField(_("proofing failed"), default=0)

    class Meta:
        abstract = True


class DailyIdentity(_DailyPointKey, _IdentityFigures):
    """PostID at a point's counter on `day`: accounts opened there (assisted registration)
    and identities checked there (proofing cases passed or approved)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "point"], name="daily_identity_key"),
        ]
        indexes = [models.Index(fields=["province", "day"], name="daily_identity_prov_day")]


class _DigitisationFigures(models.Model):
    day = models.DateField(_("day"))
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    project = models.ForeignKey("registers.Project", models.PROTECT, related_name="+")
    keyed = models.PositiveIntegerField(_("entries keyed"), default=0)
    settled = models.PositiveIntegerField(_("records settled"), default=0)

    class Meta:
        abstract = True


class DailyDigitisation(_DigitisationFigures):
    """A register-digitisation project's work on `day`: entries submitted, records
    settled (their clean values decided)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "project"], name="daily_digitisation_key"),
        ]
        indexes = [models.Index(fields=["province", "day"], name="daily_digit_prov_day")]


# -- monthly roll-ups ----------------------------------------------------------------------
# Each daily table summed over a calendar month, `day` being the month's first day. A long
# period's reports read its whole months here and only the days of the months it cuts at
# its edges from the daily tables (`reports.months`). Written only by
# `postgov.reports.months.update_month`, in the transaction that rewrites a day.


class MonthlyVolume(_DailyKey, _VolumeFigures):
    """`DailyVolume` summed over the month that starts on `day`."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "province", "point", "procedure", "agency"],
                name="monthly_volume_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["province", "day"], name="monthly_volume_prov_day")]


class MonthlyLegs(_DailyKey, _LegFigures):
    """`DailyLegs` summed over the month that starts on `day`."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "province", "point", "procedure", "agency", "segment"],
                name="monthly_legs_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["province", "day"], name="monthly_legs_prov_day")]


class MonthlyServiceIndex(_DailyKey, _IndexFigures):
    """`DailyServiceIndex` summed over the month that starts on `day`."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "province", "point", "procedure", "agency"],
                name="monthly_index_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["province", "day"], name="monthly_index_prov_day")]


class MonthlyQueue(_DailyPointKey, _QueueFigures):
    """`DailyQueue` summed over the month that starts on `day`."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "point"], name="monthly_queue_key"),
        ]
        indexes = [models.Index(fields=["province", "day"], name="monthly_queue_prov_day")]


class MonthlyIdentity(_DailyPointKey, _IdentityFigures):
    """`DailyIdentity` summed over the month that starts on `day`."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "point"], name="monthly_identity_key"),
        ]
        indexes = [models.Index(fields=["province", "day"], name="monthly_identity_prov_day")]


class MonthlyDigitisation(_DigitisationFigures):
    """`DailyDigitisation` summed over the month that starts on `day`."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "project"], name="monthly_digitisation_key"),
        ]
        indexes = [models.Index(fields=["province", "day"], name="monthly_digit_prov_day")]


class RollupVersion(models.Model):
    """A new token each time a day of `month` is rewritten (and with it the month's
    rows), in the same transaction: what is made from a period's roll-ups (the monthly
    PDF) may be kept under its months' tokens and is never served once one changes."""

    month = models.DateField(_("month"), unique=True)
    token = models.UUIDField(_("token"), default=uuid.uuid4)

    class Meta:
        verbose_name = _("roll-up version")
        verbose_name_plural = _("roll-up versions")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.token}"
