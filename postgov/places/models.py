"""Administrative units (current and legacy), postal codes and service points.

The current units (after the 2025 reform: 34 provinces, 3,321 communes, no districts)
are what every other record points to. The legacy units (63 provinces, districts,
communes) exist to read old addresses and convert them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from postgov.lib.text import fold


class Province(models.Model):
    code = models.CharField(_("code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=100)  # "Tỉnh Quảng Trị"
    short_name = models.CharField(_("short name"), max_length=80)  # "Quảng Trị"
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    name_folded = models.CharField(max_length=100, editable=False, db_index=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_folded = fold(self.short_name)
        super().save(*args, **kwargs)


class Commune(models.Model):
    """A commune-level unit: xã, phường or đặc khu."""

    class Kind(models.TextChoices):
        COMMUNE = "xa", _("Commune")
        WARD = "phuong", _("Ward")
        SPECIAL_ZONE = "dac_khu", _("Special zone")

    code = models.CharField(_("code"), max_length=5, unique=True)
    province = models.ForeignKey(
        Province, models.PROTECT, related_name="communes", verbose_name=_("province")
    )
    name = models.CharField(_("name"), max_length=100)  # "Phường Đông Hà"
    short_name = models.CharField(_("short name"), max_length=80)  # "Đông Hà"
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)
    name_folded = models.CharField(max_length=100, editable=False, db_index=True)

    class Meta:
        ordering = ["province__code", "name"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        return f"{self.name}, {self.province.name}"

    def save(self, *args, **kwargs):
        self.name_folded = fold(self.name)
        super().save(*args, **kwargs)


class LegacyProvince(models.Model):
    """One of the 63 provinces before 1 July 2025."""

    code = models.CharField(max_length=2, unique=True)
    name = models.CharField(max_length=100)
    short_name = models.CharField(max_length=80)
    successor = models.ForeignKey(Province, models.PROTECT, related_name="predecessors")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class LegacyDistrict(models.Model):
    code = models.CharField(max_length=3, unique=True)
    province = models.ForeignKey(LegacyProvince, models.PROTECT, related_name="districts")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=30)  # "Thành phố", "Huyện", "Thị xã", "Quận"

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}, {self.province.name}"


class LegacyCommune(models.Model):
    code = models.CharField(max_length=5, unique=True)
    district = models.ForeignKey(LegacyDistrict, models.PROTECT, related_name="communes")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=30)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}, {self.district.name}"


class CommuneSuccession(models.Model):
    """Old → new: which current commune(s) a legacy commune (or a ward-less island
    district) became. A legacy commune split between several new ones has several rows,
    one of them the default."""

    legacy_district = models.ForeignKey(LegacyDistrict, models.PROTECT, related_name="+")
    legacy_commune = models.ForeignKey(
        LegacyCommune, models.PROTECT, null=True, blank=True, related_name="successions"
    )
    commune = models.ForeignKey(Commune, models.PROTECT, related_name="predecessions")
    is_default = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["legacy_district", "legacy_commune", "commune"],
                name="unique_commune_succession",
            )
        ]


class PostalCodeSet(models.Model):
    """A version of the postal-code table, as imported from one CSV file."""

    name = models.CharField(_("name"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    source = models.CharField(_("source"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    is_current = models.BooleanField(_("current"), default=False)

    class Meta:
        verbose_name = _("postal code set")
        verbose_name_plural = _("postal code sets")
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="one_current_postal_code_set",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from})"


class PostalCode(models.Model):
    class Kind(models.TextChoices):
        PROVINCE = "province", _("Province")
        COMMUNE = "commune", _("Commune")
        SERVICE_POINT = "service_point", _("Postal service point")
        AGENCY = "agency", _("Agency")
        OTHER = "other", _("Other")

    code_set = models.ForeignKey(PostalCodeSet, models.CASCADE, related_name="codes")
    code = models.CharField(_("postal code"), max_length=5)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    province = models.ForeignKey(Province, models.PROTECT, null=True, blank=True)
    commune = models.ForeignKey(Commune, models.PROTECT, null=True, blank=True)
    # Reference point of the postal area, used to shorten and recover Vpostcodes.
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code_set", "code"], name="unique_code_in_set")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ServicePoint(models.Model):
    class Kind(models.TextChoices):
        POST_OFFICE_1 = "po1", _("Post office, level 1")
        POST_OFFICE_2 = "po2", _("Post office, level 2")
        POST_OFFICE_3 = "po3", _("Post office, level 3")
        CULTURAL_POST = "vhx", _("Commune cultural post office")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=5, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=300)
    commune = models.ForeignKey(
        Commune, models.PROTECT, related_name="service_points", verbose_name=_("commune")
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # e.g. {"mon-fri": "07:00-19:00", "sat": "07:00-17:00"}; shown as written.
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    name_folded = models.CharField(max_length=200, editable=False, db_index=True)

    class Meta:
        ordering = ["code"]
        # The nearest-point search reads a latitude/longitude box (places/nearby.py).
        indexes = [models.Index(fields=["latitude", "longitude"], name="places_point_position")]
        verbose_name = _("service point")
        verbose_name_plural = _("service points")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_folded = fold(f"{self.name} {self.address}")
        super().save(*args, **kwargs)

    @property
    def province(self) -> Province:
        return self.commune.province


class AdminUnitsLoad(models.Model):
    """One load of the national units from `vietnamadminunits`: which data (a fingerprint
    of the package's files), when, and how many rows it left. A rerun on the same data
    finds its fingerprint here and skips comparing 27,000 rows."""

    source = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64, db_index=True)
    loaded_at = models.DateTimeField(auto_now_add=True)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-loaded_at", "-id"]
        get_latest_by = ["loaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.source} ({self.loaded_at:%Y-%m-%d %H:%M})"
