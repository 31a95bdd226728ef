"""Agencies that receive and process dossiers, and who is competent for what."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from postgov.catalog.models import AgencyLevel
from postgov.lib.text import fold


class Agency(models.Model):
    class DeskKind(models.TextChoices):
        ONE_STOP = "one_stop", _("One-stop department")
        SERVICE_CENTRE = "centre", _("Public Administration Service Centre")
        PROCESSING = "processing", _("Processing agency (no public desk)")

    class Integration(models.TextChoices):
        WEB = "web", _("Web pages only")
        API = "api", _("API")

    # QCVN 102:2016 unit code; it prefixes the agency's dossier codes.
    unit_code = models.CharField(_("unit code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=AgencyLevel.choices)
    desk_kind = models.CharField(_("desk"), max_length=12, choices=DeskKind.choices)
    province = models.ForeignKey(
        "places.Province", models.PROTECT, related_name="agencies", verbose_name=_("province")
    )
    commune = models.ForeignKey(
        "places.Commune",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="agencies",
        verbose_name=_("commune"),
    )
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent agency"),
    )
    address = models.CharField(_("address"), max_length=300)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    # Office hours as "HH:MM-HH:MM" ranges per working day, e.g. ["07:30-11:30", "13:30-17:00"].
    office_hours = models.JSONField(_("office hours"), default=list)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    integration = models.CharField(
        _("integration"), max_length=5, choices=Integration.choices, default=Integration.WEB
    )
    active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    name_folded = models.CharField(max_length=400, editable=False, db_index=True)

    class Meta:
        ordering = ["province__code", "level", "name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_folded = fold(f"{self.name} {self.short_name} {self.unit_code}")
        super().save(*args, **kwargs)


class Competence(models.Model):
    """The agency is competent to process the procedure for a territory: a whole province
    (commune empty) or one commune. Receiving is wider: since July 2025 any service centre
    in the province may receive a dossier and pass it to the competent agency."""

    agency = models.ForeignKey(Agency, models.CASCADE, related_name="competences")
    procedure = models.ForeignKey("catalog.Procedure", models.CASCADE, related_name="competences")
    province = models.ForeignKey("places.Province", models.PROTECT)
    commune = models.ForeignKey("places.Commune", models.PROTECT, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "procedure", "province", "commune"], name="unique_competence"
            )
        ]


class CalendarAdjustment(models.Model):
    """The government's yearly swaps, edited by admins: an extra day off, or a make-up
    working day (often a Saturday). Nationwide unless a province is given."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Day off")
        WORKING_DAY = "working_day", _("Working day (make-up)")

    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    province = models.ForeignKey(
        "places.Province",
        models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("province"),
        help_text=_("Empty: applies to the whole country."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("calendar adjustment")
        verbose_name_plural = _("calendar adjustments")
        constraints = [
            models.UniqueConstraint(fields=["date", "province"], name="unique_calendar_day")
        ]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.get_kind_display()}"
