"""The waiting room of a post office: the services people queue for, the counters that
serve them, the numbered tickets, the append-only log of what happened to each ticket,
the display screens of the waiting room and the appointments booked ahead."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from postgov.places.models import ServicePoint


class QueueService(models.Model):
    """A line at a post office, known by its letter ("A001")."""

    class Kind(models.TextChoices):
        # The label is the service's name on every page, in the page's language.
        ADMINISTRATIVE = "administrative", _("Administrative procedures")
        POSTAL = "postal", _("Postal services")
        FINANCE = "finance", _("Payments and savings")
        PICKUP = "pickup", _("Collect parcels and results")

    service_point = models.ForeignKey(
        ServicePoint, models.CASCADE, related_name="queue_services", verbose_name=_("service point")
    )
    letter = models.CharField(_("letter"), max_length=1)
    kind = models.CharField(_("service"), max_length=20, choices=Kind.choices)
    target_minutes = models.PositiveSmallIntegerField(
        _("waiting-time target (minutes)"), default=15
    )
    slot_capacity = models.PositiveSmallIntegerField(
        _("appointments per half hour"), default=2, help_text=_("0: no appointments.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["service_point", "letter"]
        verbose_name = _("queue service")
        verbose_name_plural = _("queue services")
        constraints = [
            models.UniqueConstraint(
                fields=["service_point", "letter"], name="queue_service_letter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter} · {self.get_kind_display()}"

    @property
    def name(self) -> str:
        return str(self.get_kind_display())


class Counter(models.Model):
    service_point = models.ForeignKey(
        ServicePoint, models.CASCADE, related_name="queue_counters", verbose_name=_("service point")
    )
    number = models.PositiveSmallIntegerField(_("counter number"))
    services = models.ManyToManyField(
        QueueService, related_name="counters", verbose_name=_("services served")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["service_point", "number"]
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        constraints = [
            models.UniqueConstraint(
                fields=["service_point", "number"], name="queue_counter_number"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Counter %(number)s") % {"number": self.number})


class TicketNumber(models.Model):
    """The last number given for a service on a day (`postgov.lib.counters`)."""

    service = models.ForeignKey(QueueService, models.CASCADE)
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "day"], name="queue_ticket_number_day"),
        ]


class Appointment(models.Model):
    class State(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CHECKED_IN = "checked_in", _("Checked in")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("Did not come")

    service_point = models.ForeignKey(
        ServicePoint, models.PROTECT, related_name="appointments", verbose_name=_("service point")
    )
    # Busy tables carry the province, to be split by it later (docs/domain.md §4).
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    service = models.ForeignKey(QueueService, models.PROTECT, verbose_name=_("service"))
    day = models.DateField(_("day"))
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))
    phone = models.CharField(_("mobile phone"), max_length=20)
    code = models.CharField(_("code"), max_length=8, unique=True)
    token = models.CharField(max_length=32, unique=True, editable=False)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.BOOKED)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day", "starts_at", "id"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [models.Index(fields=["service", "day", "starts_at"])]

    def __str__(self) -> str:
        return self.code


class Ticket(models.Model):
    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        CALLED = "called", _("Called to a counter")
        DONE = "done", _("Served")
        NO_SHOW = "no_show", _("Did not come")

    service_point = models.ForeignKey(
        ServicePoint, models.PROTECT, related_name="queue_tickets", verbose_name=_("service point")
    )
    # Busy tables carry the province, to be split by it later (docs/domain.md §4).
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    service = models.ForeignKey(QueueService, models.PROTECT, verbose_name=_("service"))
    day = models.DateField(_("day"))
    # The number within the letter the ticket was issued under; a transfer keeps it.
    letter = models.CharField(max_length=1)
    number = models.PositiveIntegerField()
    token = models.CharField(max_length=32, unique=True, editable=False)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.WAITING
    )
    priority = models.BooleanField(_("appointment"), default=False)
    appointment = models.OneToOneField(
        Appointment, models.PROTECT, null=True, blank=True, related_name="ticket"
    )
    counter = models.ForeignKey(Counter, models.PROTECT, null=True, blank=True)
    issued_at = models.DateTimeField()
    # Where the ticket stands in its line: its issue time, kept across a transfer.
    queued_at = models.DateTimeField()
    called_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["day", "letter", "number"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(
                fields=["service_point", "day", "letter", "number"], name="queue_ticket_unique"
            ),
        ]
        indexes = [models.Index(fields=["service", "state", "queued_at"])]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.letter}{self.number:03d}"


class TicketEvent(models.Model):
    """What happened to a ticket and when; never changed once written. The day's figures
    are read from these rows alone."""

    class Kind(models.TextChoices):
        ARRIVED = "arrived", _("Ticket issued")
        CALLED = "called", _("Called")
        RECALLED = "recalled", _("Called again")
        TRANSFERRED = "transferred", _("Sent to another service")
        ENDED = "ended", _("Service ended")
        NO_SHOW = "no_show", _("Did not come")
        RATED = "rated", _("Rated")

    ticket = models.ForeignKey(Ticket, models.PROTECT, related_name="events")
    service_point = models.ForeignKey(ServicePoint, models.PROTECT, related_name="+")
    # Busy tables carry the province, to be split by it later (docs/domain.md §4).
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()
    # The service the ticket was in when this happened (a transfer: the new one).
    service = models.ForeignKey(QueueService, models.PROTECT, related_name="+")
    counter = models.ForeignKey(Counter, models.PROTECT, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["service_point", "day", "kind"])]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("ticket events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValueError("ticket events are append-only")


class DisplayScreen(models.Model):
    """A waiting-room screen: it opens the display page with a secret token that a
    supervisor of the point created and may revoke. Only the token's hash is kept."""

    service_point = models.ForeignKey(
        ServicePoint, models.CASCADE, related_name="queue_screens", verbose_name=_("service point")
    )
    name = models.CharField(_("name"), max_length=60)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service_point", "name"]
        verbose_name = _("display screen")
        verbose_name_plural = _("display screens")

    def __str__(self) -> str:
        return self.name
