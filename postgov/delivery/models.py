"""Postal items (UPU S10), their serial numbers, and home pickups."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemSerial(models.Model):
    """The last S10 serial given for a service indicator. Serials only go up, so an item
    ID is never reused (the unique constraint on PostalItem.item_id guards it too)."""

    service_indicator = models.CharField(max_length=2, primary_key=True)
    last_value = models.PositiveIntegerField(default=0)


class PostalItem(models.Model):
    """One physical item carried by the post for a dossier: the dossier going to the
    agency, a supplement, or the result coming back."""

    class Leg(models.TextChoices):
        OUTBOUND = "outbound", _("dossier to the agency")
        SUPPLEMENT = "supplement", _("supplement to the agency")
        RETURN = "return", _("result to the citizen")

    item_id = models.CharField(_("item ID"), max_length=13, unique=True)
    dossier = models.ForeignKey("dossiers.Dossier", models.PROTECT, related_name="items")
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    leg = models.CharField(_("leg"), max_length=10, choices=Leg.choices)
    weight_g = models.PositiveIntegerField(_("weight (g)"), default=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.item_id


class PickupBooking(models.Model):
    """A citizen asks a postman to come and collect a dossier at home."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        ASSIGNED = "assigned", _("assigned to a postman")
        COLLECTED = "collected", _("collected")
        FAILED = "failed", _("visit failed")
        CANCELLED = "cancelled", _("cancelled")

    class Window(models.TextChoices):
        MORNING = "morning", _("Morning (7:30–11:30)")
        AFTERNOON = "afternoon", _("Afternoon (13:30–17:00)")
        EVENING = "evening", _("Evening (17:00–19:00)")

    code = models.CharField(_("booking code"), max_length=12, unique=True)
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    procedure = models.ForeignKey(
        "catalog.Procedure", models.PROTECT, related_name="+", verbose_name=_("procedure")
    )
    name = models.CharField(_("full name"), max_length=200)
    phone = models.CharField(_("mobile phone"), max_length=20)
    address = models.CharField(_("address"), max_length=300)
    commune = models.ForeignKey(
        "places.Commune", models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    date = models.DateField(_("date"))
    window = models.CharField(_("time"), max_length=10, choices=Window.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    service_point = models.ForeignKey(
        "places.ServicePoint",
        models.PROTECT,
        related_name="pickups",
        verbose_name=_("post office"),
    )
    postman = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("postman"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.REQUESTED,
        db_index=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "window", "created_at"]

    def __str__(self) -> str:
        return self.code


class PickupAttempt(models.Model):
    class Reason(models.TextChoices):
        ABSENT = "absent", _("Nobody at home")
        WRONG_ADDRESS = "wrong_address", _("Address not found")
        NOT_READY = "not_ready", _("Papers not ready")
        CANCELLED_BY_CITIZEN = "cancelled", _("The citizen no longer needs it")
        OTHER = "other", _("Other")

    booking = models.ForeignKey(PickupBooking, models.PROTECT, related_name="attempts")
    postman = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    at = models.DateTimeField()
    success = models.BooleanField()
    reason = models.CharField(_("reason"), max_length=15, choices=Reason.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
