"""An order for the post to carry the paper of a dossier filed online: the result back to
the citizen, or the originals to the agency (decision 0016).

The dossier itself lives on the national portal or in the agency's system; the order
keeps its code and what the post needs to carry it. The post's own records — the S10
item, the manifest line, the delivery attempts and the proof, the SLA legs — point at the
order instead of a counter dossier."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from postgov.dossiers.orders.workflow import ACTIVE_STATES, BY_ACTION
from postgov.places.positions import Source as PositionSource


class OrderKind(models.TextChoices):
    RESULT_DELIVERY = "result", _("Result delivery")
    COLLECT_ORIGINALS = "originals", _("Collection of originals")


class OrderStatus(models.TextChoices):
    # A result going to the citizen.
    ORDERED = "ordered", _("ordered")
    COLLECTED = "collected", _("collected from the agency")
    OUT_FOR_DELIVERY = "out_for_delivery", _("out for delivery to the recipient")
    HELD = "held", _("held at the post office")
    DELIVERED = "delivered", _("delivered to the recipient")
    RETURNED = "returned", _("returned to the agency")
    # Originals going to the agency.
    RECEIVED = "received", _("originals received by the post")
    IN_TRANSIT = "in_transit", _("on the way to the agency")
    HANDED_OVER = "handed_over", _("handed over to the agency")
    CANCELLED = "cancelled", _("cancelled")


class PostalOrder(models.Model):
    code = models.CharField(_("order code"), max_length=12, unique=True)
    kind = models.CharField(_("order"), max_length=10, choices=OrderKind.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=OrderStatus.choices,
        default=OrderStatus.ORDERED,
        db_index=True,
    )
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        "agencies.Agency", models.PROTECT, related_name="postal_orders", verbose_name=_("agency")
    )
    # The dossier's code on the portal or in the agency's system (`<unit>-YYMMDD-NNNN`).
    portal_code = models.CharField(_("dossier code"), max_length=60, db_index=True)
    procedure = models.ForeignKey(
        "catalog.Procedure", models.PROTECT, related_name="+", verbose_name=_("procedure")
    )
    # [{"name": ..., "number": ..., "original": bool}]: what the envelope holds.
    documents = models.JSONField(_("documents"), default=list)
    recipient_name = models.CharField(_("full name"), max_length=200)
    recipient_phone = models.CharField(_("mobile phone"), max_length=20)
    # The last four digits of the recipient's ID card, when the agency gives them: the
    # postman checks them against the card shown.
    recipient_id_last4 = models.CharField(_("last 4 digits of the ID"), max_length=4, blank=True)
    address = models.CharField(_("address"), max_length=300)
    commune = models.ForeignKey(
        "places.Commune", models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    position_source = models.CharField(
        _("position set by"), max_length=8, choices=PositionSource.choices, blank=True
    )
    # The post office that collects from the agency and delivers (or receives the
    # originals): the one serving the recipient's commune.
    service_point = models.ForeignKey(
        "places.ServicePoint",
        models.PROTECT,
        related_name="postal_orders",
        verbose_name=_("post office"),
    )
    cod_amount = models.PositiveIntegerField(_("to collect on delivery (VND)"), default=0)
    cod_collected = models.PositiveIntegerField(_("collected on delivery (VND)"), default=0)
    cod_collected_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Who ordered: an agency system (the credential) or an officer on the page.
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    ordered_via = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("postal order")
        verbose_name_plural = _("postal orders")
        indexes = [
            models.Index(fields=["agency", "status"], name="order_agency_status_idx"),
            models.Index(fields=["service_point", "status"], name="order_point_status_idx"),
        ]
        constraints = [
            # One order in progress per dossier and kind: a repeated order is refused.
            models.UniqueConstraint(
                fields=["agency", "kind", "portal_code"],
                condition=models.Q(status__in=sorted(ACTIVE_STATES)),
                name="one_open_order_per_dossier",
            )
        ]

    def __str__(self) -> str:
        return self.code


class OrderEvent(models.Model):
    """One step of an order, append-only; its id is what webhooks carry so a receiver
    can tell a repeat from a new step."""

    order = models.ForeignKey(PostalOrder, models.PROTECT, related_name="events")
    at = models.DateTimeField()
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    service_point = models.ForeignKey(
        "places.ServicePoint", models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="order_event_idx")]

    @property
    def label(self):
        return BY_ACTION[self.action].label
