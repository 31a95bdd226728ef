"""An assisted online session: a clerk helps a citizen file a dossier on an online
public-service portal (the national portal, the province's or a ministry's) at the
counter. The citizen logs in and confirms with their own password or code; the post keeps
who was helped, with their consent, what came of it (the portal's dossier code or why
not), the time it took and the assistance fee (decision 0022)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from postgov.assisted.labels import STEP_LABELS


class Portal(models.TextChoices):
    NATIONAL = "national", _("National public-service portal (dichvucong.gov.vn)")
    PROVINCE = "province", _("The province's public-service portal")
    MINISTRY = "ministry", _("A ministry's portal")
    OTHER = "other", _("Another online service")


class ConsentMethod(models.TextChoices):
    SCREEN = "screen", _("On screen: the citizen read the notice and ticked it")
    PAPER = "paper", _("On paper: the citizen signed the printed notice")


class Status(models.TextChoices):
    # With a context: other apps translate the same short words for other things.
    STARTED = "started", pgettext_lazy("assisted session", "started, waiting for consent")
    CONSENTED = "consented", pgettext_lazy("assisted session", "in progress")
    ENDED = "ended", pgettext_lazy("assisted session", "ended, fee to record")
    CLOSED = "closed", pgettext_lazy("assisted session", "closed")


class Outcome(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted on the portal")
    NOT_POSSIBLE = "not_possible", _("Not possible")


class NotPossibleReason(models.TextChoices):
    PORTAL_DOWN = "portal_down", _("The portal was unavailable")
    NO_ACCOUNT = "no_account", _("The citizen could not log in to the portal")
    MISSING_PAPERS = "missing_papers", _("Papers or scans were missing")
    NOT_ONLINE = "not_online", _("The service is not offered online")
    CITIZEN_LEFT = "citizen_left", _("The citizen changed their mind")
    OTHER = "other", _("Other reason")


class AssistanceTariff(models.Model):
    """The fee for assisting a citizen online, valid from a date, for a province (or
    nationwide when the province is empty); the newest valid one applies."""

    name = models.CharField(_("name"), max_length=200)
    province = models.ForeignKey(
        "places.Province", models.PROTECT, null=True, blank=True, verbose_name=_("province")
    )
    valid_from = models.DateField(_("valid from"))
    amount = models.PositiveIntegerField(_("fee per session (VND)"))
    # A session that could not be done is not charged unless the tariff says what for.
    amount_not_possible = models.PositiveIntegerField(
        _("fee when it could not be done (VND)"),
        default=0,
        db_default=0,
        help_text=_("What a citizen pays when the service could not be used online; 0: nothing."),
    )

    class Meta:
        verbose_name = _("assistance tariff")
        verbose_name_plural = _("assistance tariffs")
        ordering = ["-valid_from", "-pk"]

    def __str__(self) -> str:
        return self.name


class AssistedSession(models.Model):
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    point = models.ForeignKey(
        "places.ServicePoint",
        models.PROTECT,
        related_name="assisted_sessions",
        verbose_name=_("post office"),
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("clerk")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.STARTED
    )
    # The citizen: personal data, never in an address or a log line.
    citizen_name = models.CharField(_("citizen's full name"), max_length=200)
    citizen_phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    citizen_id_number = models.CharField(_("ID number"), max_length=12, blank=True)
    portal = models.CharField(_("portal"), max_length=10, choices=Portal.choices)
    portal_detail = models.CharField(_("which portal"), max_length=200, blank=True)
    procedure = models.ForeignKey(
        "catalog.Procedure",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("procedure"),
    )
    service_name = models.CharField(_("online service"), max_length=300, blank=True)
    # The consent: how, when, which text of the notice, and the paper's number if signed.
    consent_method = models.CharField(
        _("consent given"), max_length=8, choices=ConsentMethod.choices, blank=True
    )
    consent_reference = models.CharField(_("number of the signed paper"), max_length=40, blank=True)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_notice_version = models.CharField(_("notice version"), max_length=20, blank=True)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    portal_code = models.CharField(_("dossier code on the portal"), max_length=60, blank=True)
    not_possible_reason = models.CharField(
        _("reason"), max_length=16, choices=NotPossibleReason.choices, blank=True
    )
    not_possible_note = models.CharField(_("details"), max_length=300, blank=True)
    # The fee: the tariff's amount, what the citizen paid, and the exemption with its proof.
    tariff = models.ForeignKey(
        AssistanceTariff, models.PROTECT, null=True, blank=True, related_name="+"
    )
    fee_base = models.PositiveIntegerField(_("tariff (VND)"), default=0)
    fee_due = models.PositiveIntegerField(_("fee paid (VND)"), default=0)
    exemption = models.ForeignKey(
        "catalog.ExemptCategory",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exemption"),
    )
    exemption_note = models.CharField(_("exemption proof"), max_length=200, blank=True)
    fee_recorded_at = models.DateTimeField(null=True, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=20, blank=True)
    # The result-delivery order made from this session ("result will come by post").
    order = models.OneToOneField(
        "dossiers.PostalOrder",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="assisted_session",
        verbose_name=_("postal order"),
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("assisted session")
        verbose_name_plural = _("assisted sessions")
        indexes = [
            models.Index(fields=["point", "started_at"], name="assisted_point_day_idx"),
            models.Index(fields=["clerk", "started_at"], name="assisted_clerk_day_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def minutes_spent(self) -> int | None:
        if self.ended_at is None:
            return None
        return max(0, round((self.ended_at - self.started_at).total_seconds() / 60))

    @property
    def what(self) -> str:
        return self.procedure.name if self.procedure is not None else self.service_name


class SessionEvent(models.Model):
    """One step of a session, append-only."""

    session = models.ForeignKey(AssistedSession, models.PROTECT, related_name="events")
    at = models.DateTimeField()
    action = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    @property
    def label(self) -> str:
        return str(STEP_LABELS.get(self.action, self.action))
