"""Confidential documents of Party and State bodies carried by the post (docs/domain.md §10):
who may handle which secrecy level, the items, and their chain of custody."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """Secrecy levels of the Law on Protection of State Secrets (2018), lowest first."""

    MAT = "mat", _("Confidential")
    TOI_MAT = "toi_mat", _("Secret")
    TUYET_MAT = "tuyet_mat", _("Top secret")


RANK = {Level.MAT: 1, Level.TOI_MAT: 2, Level.TUYET_MAT: 3}
# The mark the envelope carries for each level; Tuyệt mật goes in two envelopes.
MARK = {Level.MAT: "C", Level.TOI_MAT: "B", Level.TUYET_MAT: "A"}


def rank(level: str) -> int:
    return RANK[Level(level)]


def masked_id(number: str) -> str:
    """An identity document number as lists show it: its last four digits only."""
    number = "".join((number or "").split())
    return number[-4:].rjust(len(number), "•") if number else ""


class Clearance(models.Model):
    """A staff member's clearance for one level (and every level below it), in one
    province, for a period. Revoked clearances stay as the record of who could."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="statemail_clearances",
        verbose_name=_("staff member"),
    )
    level = models.CharField(_("secrecy level"), max_length=10, choices=Level.choices)
    province = models.ForeignKey("places.Province", models.PROTECT, verbose_name=_("province"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        verbose_name = _("clearance")
        verbose_name_plural = _("clearances")
        indexes = [models.Index(fields=["user", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_level_display()}"


class Item(models.Model):
    class State(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        OFFERED = "offered", _("Being handed over")
        HELD = "held", _("Held (incident)")
        DELIVERED = "delivered", _("Delivered")

    item_number = models.CharField(_("item number"), max_length=13, unique=True)
    level = models.CharField(_("secrecy level"), max_length=10, choices=Level.choices)
    mark = models.CharField(_("envelope mark"), max_length=1)
    sender_body = models.CharField(_("sender body"), max_length=200)
    addressee_body = models.CharField(_("addressee body"), max_length=200)
    # Tuyệt mật only: the inner envelope is for this person alone.
    named_person = models.CharField(_("named person"), max_length=120, blank=True)
    named_person_id_number = models.CharField(
        _("named person's ID number"), max_length=12, blank=True
    )
    # The outer envelope's seal (the only one for Mật and Tối mật) and, for Tuyệt mật,
    # the inner envelope's.
    outer_seal = models.CharField(_("outer seal number"), max_length=30)
    inner_seal = models.CharField(_("inner seal number"), max_length=30, blank=True)
    guard_requested = models.BooleanField(_("guard requested"), default=False)
    point = models.ForeignKey(
        "places.ServicePoint",
        models.PROTECT,
        related_name="statemail_items",
        verbose_name=_("accepting point"),
    )
    state = models.CharField(_("status"), max_length=10, choices=State.choices)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("held by"),
    )
    # While offered: the person it is being handed to, who must confirm it.
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offered to"),
    )
    offer_place = models.CharField(_("place"), max_length=200, blank=True)
    offer_guard = models.CharField(_("guard"), max_length=120, blank=True)
    # The guard's identity document number, as the giver read it off the card: kept whole
    # on the item and the events, shown masked wherever events are listed.
    offer_guard_id_number = models.CharField(
        _("guard's ID number"), max_length=12, blank=True, db_default=""
    )
    accepted_at = models.DateTimeField(_("accepted at"))

    class Meta:
        verbose_name = _("State mail item")
        verbose_name_plural = _("State mail items")

    def __str__(self) -> str:
        return self.item_number

    def seals(self) -> list[str]:
        return [s for s in (self.outer_seal, self.inner_seal) if s]


class CustodyEvent(models.Model):
    """One hand of the chain, as in the transfer register: who gave, who took, when,
    where, the seals checked. Append-only: written once, never changed or deleted."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted from the sender")
        HANDED_OVER = "handed_over", _("Handed over")
        REFUSED = "refused", _("Seal check failed")
        RELEASED = "released", _("Released after the incident")
        DELIVERED = "delivered", _("Delivered to the addressee")

    item = models.ForeignKey(Item, models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("time"))
    point = models.ForeignKey(
        "places.ServicePoint", models.PROTECT, null=True, blank=True, related_name="+"
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    giver = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    giver_label = models.CharField(_("given by"), max_length=200, blank=True)
    taker = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    taker_label = models.CharField(_("taken by"), max_length=200, blank=True)
    # When each side signed: with their own login (docs/domain.md §10).
    giver_signed_at = models.DateTimeField(null=True, blank=True)
    taker_signed_at = models.DateTimeField(null=True, blank=True)
    # Delivery: the recipient's signature drawn on the carrier's screen (a small PNG), or
    # in `note` why they could not sign there.
    taker_signature = models.BinaryField(_("recipient's signature"), blank=True, null=True)
    seals_typed = models.JSONField(_("seals checked"), default=list)
    seal_broken = models.BooleanField(_("seal broken"), default=False)
    # The guard who goes with the item when the sender asked for one: who, the number of
    # their identity document (masked in lists: `masked_id`) and their signature drawn on
    # the screen of whoever records the event.
    guard = models.CharField(_("guard"), max_length=120, blank=True)
    guard_id_number = models.CharField(
        _("guard's ID number"), max_length=12, blank=True, db_default=""
    )
    guard_signature = models.BinaryField(_("guard's signature"), blank=True, null=True)
    guard_signed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ("at", "pk")
        indexes = [models.Index(fields=["point", "at"])]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("custody events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("custody events are append-only")

    @property
    def guard_id_masked(self) -> str:
        return masked_id(self.guard_id_number)


class Incident(models.Model):
    """A seal found broken or not the one accepted: the item stops until a supervisor
    closes the incident."""

    item = models.ForeignKey(Item, models.PROTECT, related_name="incidents")
    event = models.OneToOneField(CustodyEvent, models.PROTECT, related_name="incident")
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
