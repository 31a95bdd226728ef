"""The catalog of administrative procedures, versioned, and the postal tariff.

A procedure's rules (documents, fees, time limit) change over time; a dossier points at
the `ProcedureVersion` it was received under and keeps it, whatever changes later.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from postgov.lib.text import fold

# Field names other apps route by (agency competence, SLA reports): spelt exactly so. An
# import that spells one differently ("ho tich", "HỘ TỊCH") is corrected to these.
PROCEDURE_FIELDS: tuple[str, ...] = (
    "Hộ tịch",
    "Chứng thực",
    "Lý lịch tư pháp",
    "Đường bộ",
    "Đăng ký kinh doanh",
    "Đất đai",
    "Bảo hiểm xã hội",
    "Bảo hiểm y tế",
    "Việc làm",
    "Xuất nhập cảnh",
    "Cư trú",
    "Xây dựng",
)


class AgencyLevel(models.TextChoices):
    CENTRAL = "central", _("Central (vertical agency)")
    PROVINCE = "province", _("Province")
    COMMUNE = "commune", _("Commune")


class Procedure(models.Model):
    """A procedure's identity across versions (national code from the national database)."""

    code = models.CharField(_("national code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=400)
    field = models.CharField(_("field"), max_length=200)  # lĩnh vực, e.g. "Hộ tịch"
    agency_level = models.CharField(_("agency level"), max_length=10, choices=AgencyLevel.choices)
    is_demo = models.BooleanField(_("demo data"), default=False)
    name_folded = models.CharField(max_length=600, editable=False, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_folded = fold(f"{self.name} {self.field} {self.code}")
        super().save(*args, **kwargs)


class ProcedureVersion(models.Model):
    class TimeUnit(models.TextChoices):
        WORKING_DAYS = "working_days", _("working days")
        WORKING_HOURS = "working_hours", _("working hours")

    class OnlineLevel(models.TextChoices):
        NONE = "none", _("Not online")
        PARTIAL = "partial", _("Partly online")
        FULL = "full", _("Fully online")

    procedure = models.ForeignKey(
        Procedure, models.PROTECT, related_name="versions", verbose_name=_("procedure")
    )
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    processing_time = models.DecimalField(_("processing time"), max_digits=6, decimal_places=1)
    time_unit = models.CharField(
        _("time unit"), max_length=15, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS
    )
    next_day_after_15h = models.BooleanField(
        _("counts from the next working day when received after 15:00"), default=False
    )
    postal_allowed = models.BooleanField(_("may be sent by post"), default=True)
    postal_exclusion_reason = models.CharField(
        _("why it may not be sent by post"), max_length=300, blank=True
    )
    postal_check_allowed = models.BooleanField(
        _("postal staff may check completeness"), default=True
    )
    result_type = models.CharField(_("result"), max_length=300)
    online_level = models.CharField(
        _("online service level"),
        max_length=10,
        choices=OnlineLevel.choices,
        default=OnlineLevel.PARTIAL,
    )
    legal_basis = models.TextField(_("legal basis"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")
        ordering = ["procedure", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "version"], name="unique_procedure_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure.name} (v{self.version})"


class RequiredDocument(models.Model):
    class Form(models.TextChoices):
        ORIGINAL = "original", _("original")
        COPY = "copy", _("copy")
        EITHER = "either", _("original or copy")

    version = models.ForeignKey(ProcedureVersion, models.CASCADE, related_name="documents")
    position = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("document"), max_length=400)
    form = models.CharField(_("form"), max_length=10, choices=Form.choices)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    mandatory = models.BooleanField(_("mandatory"), default=True)
    note = models.CharField(_("note"), max_length=400, blank=True)

    class Meta:
        ordering = ["version", "position"]


class Fee(models.Model):
    """A fee of the procedure (lệ phí / phí). Several rows with different options when the
    fee depends on a choice ("first issue", "renewal"...); amounts in VND."""

    version = models.ForeignKey(ProcedureVersion, models.CASCADE, related_name="fees")
    option = models.CharField(_("option"), max_length=200, blank=True)
    name = models.CharField(_("fee"), max_length=200)
    amount = models.PositiveIntegerField(_("amount (VND)"))
    is_default = models.BooleanField(_("default option"), default=False)

    class Meta:
        ordering = ["version", "-is_default", "option", "id"]


class PostalTariff(models.Model):
    """A postal tariff for carrying dossiers and results, valid from a date, for a province
    (or nationwide when province is empty)."""

    name = models.CharField(_("name"), max_length=200)
    province = models.ForeignKey(
        "places.Province", models.PROTECT, null=True, blank=True, verbose_name=_("province")
    )
    valid_from = models.DateField(_("valid from"))
    remittance_fee = models.PositiveIntegerField(_("fee-remittance charge (VND per dossier)"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("postal tariff")
        verbose_name_plural = _("postal tariffs")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return self.name


class TariffBand(models.Model):
    class Zone(models.TextChoices):
        IN_PROVINCE = "in", _("within the province")
        OUT_OF_PROVINCE = "out", _("outside the province")

    tariff = models.ForeignKey(PostalTariff, models.CASCADE, related_name="bands")
    zone = models.CharField(_("zone"), max_length=3, choices=Zone.choices)
    max_weight_g = models.PositiveIntegerField(_("up to (grams)"))
    amount = models.PositiveIntegerField(_("one-way charge (VND)"))

    class Meta:
        ordering = ["tariff", "zone", "max_weight_g"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "zone", "max_weight_g"], name="unique_tariff_band"
            )
        ]


class ExemptCategory(models.Model):
    """People exempt from postal charges (e.g. people with revolutionary merit)."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("exempt categories")

    def __str__(self) -> str:
        return self.name


class CatalogImport(models.Model):
    """An uploaded catalog file, kept between "check" and "apply" (and afterwards as the
    record of what was imported). The bytes live in the database rather than on a local
    disk or in the session, so the two steps may run on different web nodes."""

    class Status(models.TextChoices):
        CHECKED = "checked", _("checked, ready to apply")
        REJECTED = "rejected", _("rejected")
        APPLIED = "applied", _("applied")

    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=4)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    report = models.JSONField(_("report"), default=dict)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applied by"),
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("catalog import")
        verbose_name_plural = _("catalog imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class LinkedProcedure(models.Model):
    """Procedures filed once and processed by several agencies (thủ tục liên thông): its
    members, in steps. Members with the same step run side by side; a member's result may
    feed members of later steps (docs/domain.md §3.7). Not versioned: a package taken in
    copies its members' steps and feeds, so a later change here leaves it as it was."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=400)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("offered at the counter"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("linked procedure")
        verbose_name_plural = _("linked procedures")

    def __str__(self) -> str:
        return self.name


class LinkedMember(models.Model):
    """One procedure of a linked procedure, at its step, and the members its result feeds."""

    linked = models.ForeignKey(
        LinkedProcedure, models.CASCADE, related_name="members", verbose_name=_("linked procedure")
    )
    procedure = models.ForeignKey(
        Procedure, models.PROTECT, related_name="+", verbose_name=_("procedure")
    )
    step = models.PositiveSmallIntegerField(_("step"), default=1)
    feeds = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="fed_by",
        blank=True,
        verbose_name=_("its result feeds"),
    )

    class Meta:
        ordering = ["linked", "step", "id"]
        verbose_name = _("member procedure")
        verbose_name_plural = _("member procedures")
        constraints = [
            models.UniqueConstraint(
                fields=["linked", "procedure"], name="unique_linked_member_procedure"
            )
        ]

    def __str__(self) -> str:
        return f"{self.step}. {self.procedure.name}"
