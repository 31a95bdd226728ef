"""The dossier (hồ sơ): one applicant, one procedure, its documents, fees and history.

The current state is stored for querying; the history is the append-only `DossierEvent`
log written in the same transaction as every change. Every hot table carries the province so
the data can be sharded by province later (docs/domain.md §4).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from postgov.dossiers.orders.workflow import ORDER_SEGMENT_BY_NAME
from postgov.dossiers.workflow import SEGMENT_BY_NAME, State
from postgov.lib.idcard import Gender
from postgov.places.positions import Source as PositionSource


class ServiceOption(models.TextChoices):
    """Decision 45 Art. 5: the citizen may use the post to send, to receive, or both."""

    SEND = "send", _("Send the dossier by post")
    RECEIVE = "receive", _("Receive the result by post")
    BOTH = "both", _("Send the dossier and receive the result by post")


class ReturnMethod(models.TextChoices):
    DELIVER = "deliver", _("Deliver to an address")
    HOLD = "hold", _("Hold at a post office")
    AT_AGENCY = "agency", _("The citizen collects it at the agency")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    TRANSFER = "transfer", _("Bank transfer / QR")


class Dossier(models.Model):
    # Identity -------------------------------------------------------------------------
    code = models.CharField(_("dossier code"), max_length=60, unique=True, null=True, blank=True)
    # The wizard's one-time token: a double submit of the confirm step finds this row.
    intake_token = models.UUIDField(unique=True)
    status = models.CharField(
        _("status"), max_length=24, choices=State.choices, default=State.DRAFT, db_index=True
    )
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    service_option = models.CharField(
        _("service"), max_length=8, choices=ServiceOption.choices, default=ServiceOption.BOTH
    )

    # What and where -------------------------------------------------------------------
    procedure_version = models.ForeignKey(
        "catalog.ProcedureVersion",
        models.PROTECT,
        related_name="dossiers",
        verbose_name=_("procedure"),
    )
    fee_option = models.ForeignKey(
        "catalog.Fee",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fee option"),
    )
    receiving_point = models.ForeignKey(
        "places.ServicePoint",
        models.PROTECT,
        related_name="received_dossiers",
        verbose_name=_("receiving post office"),
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="dossiers",
        verbose_name=_("agency"),
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("received by")
    )
    pickup = models.OneToOneField(
        "delivery.PickupBooking", models.PROTECT, null=True, blank=True, related_name="dossier"
    )

    # Applicant (and representative) -----------------------------------------------------
    applicant_name = models.CharField(_("full name"), max_length=200)
    applicant_id_number = models.CharField(_("ID number"), max_length=12)
    applicant_birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    applicant_gender = models.CharField(
        _("gender"), max_length=6, choices=Gender.choices, blank=True
    )
    applicant_phone = models.CharField(_("mobile phone"), max_length=20)
    applicant_email = models.EmailField(_("e-mail"), blank=True)
    applicant_address = models.CharField(_("permanent address"), max_length=300, blank=True)
    applicant_commune = models.ForeignKey(
        "places.Commune",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune of residence"),
    )
    representative_name = models.CharField(_("representative"), max_length=200, blank=True)
    representative_id_number = models.CharField(
        _("representative's ID number"), max_length=12, blank=True
    )
    representative_document = models.CharField(
        _("authorisation document"), max_length=200, blank=True
    )

    # Return of the result ---------------------------------------------------------------
    return_method = models.CharField(
        _("return"), max_length=8, choices=ReturnMethod.choices, default=ReturnMethod.DELIVER
    )
    return_address = models.CharField(_("delivery address"), max_length=300, blank=True)
    return_commune = models.ForeignKey(
        "places.Commune",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("delivery commune"),
    )
    return_point = models.ForeignKey(
        "places.ServicePoint",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("post office for collection"),
    )
    # Where the delivery address is (places.positions): its source says how far to trust it.
    return_latitude = models.FloatField(_("latitude"), null=True, blank=True)
    return_longitude = models.FloatField(_("longitude"), null=True, blank=True)
    return_vpostcode = models.CharField("Vpostcode", max_length=12, blank=True)
    return_position_source = models.CharField(
        _("position set by"), max_length=8, choices=PositionSource.choices, blank=True
    )
    # The postman carrying the result while it is out for delivery: only their route shows
    # it. Set when it goes out (by that postman, or a supervisor choosing one).
    delivery_postman = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("postman delivering"),
    )

    # Money (VND) ------------------------------------------------------------------------
    procedure_fee = models.PositiveIntegerField(_("procedure fee"), default=0)
    # The post collects the procedure fee for the agency (and charges the remittance fee),
    # or the citizen pays it to the agency directly.
    post_collects_fee = models.BooleanField(_("the post collects the procedure fee"), default=True)
    weight_g = models.PositiveIntegerField(_("weight (g)"), default=100)
    postage_out = models.PositiveIntegerField(_("postage to the agency"), default=0)
    postage_back = models.PositiveIntegerField(_("postage of the result"), default=0)
    remittance_fee = models.PositiveIntegerField(_("fee-remittance charge"), default=0)
    exemption = models.ForeignKey(
        "catalog.ExemptCategory",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exemption"),
    )
    exemption_note = models.CharField(_("exemption proof"), max_length=200, blank=True)
    total_due = models.PositiveIntegerField(_("total"), default=0)
    payment_method = models.CharField(
        _("payment"), max_length=8, choices=PaymentMethod.choices, blank=True
    )
    receipt_number = models.CharField(_("receipt number"), max_length=40, blank=True)
    payment_reference = models.CharField(_("transfer reference"), max_length=60, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    # Seal and clock ---------------------------------------------------------------------
    seal_number = models.CharField(_("seal number"), max_length=30, blank=True)
    sealed_at = models.DateTimeField(_("sealed at"), null=True, blank=True, db_index=True)
    submitted_at = models.DateTimeField(
        _("handed over to the agency (legal submission)"), null=True, blank=True
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    expected_return_at = models.DateTimeField(_("expected back"), null=True, blank=True)

    # At the agency ----------------------------------------------------------------------
    # The appointment first given on Form 01; `due_at` moves with pauses and Form 04.
    first_due_at = models.DateTimeField(_("first appointment"), null=True, blank=True)
    # Set while the legal clock is stopped (supplement requested, payment awaited).
    clock_paused_at = models.DateTimeField(_("clock stopped at"), null=True, blank=True)
    fees_handed_over = models.PositiveIntegerField(
        _("procedure fee handed over to the agency"), default=0
    )
    fees_handed_over_at = models.DateTimeField(_("fee handed over at"), null=True, blank=True)
    # The agency's own number for the dossier, given when its system acknowledges it.
    agency_reference = models.CharField(_("agency's reference"), max_length=60, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged by the agency"), null=True, blank=True)

    # Practice work of a training class (decision 0019): received through the real
    # screens, numbered in its own series, and never carried, sent, synced or counted.
    practice = models.BooleanField(_("practice"), default=False, db_index=True)
    # The training class's id, kept by the training app above this one.
    practice_class_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        indexes = [
            models.Index(fields=["receiving_point", "status"], name="dossier_point_status_idx"),
            # A citizen's "my dossiers": found by their verified ID number.
            models.Index(fields=["applicant_id_number"], name="dossier_applicant_id_idx"),
            models.Index(fields=["agency", "status", "due_at"], name="dossier_agency_due_idx"),
            # The agency inbox: open dossiers by due date, one page at a time.
            # Without it PostgreSQL walks the global due_at index through every closed
            # dossier (bench/agency: 0.6 s a page at 1 M dossiers; 0.4 ms with it).
            models.Index(
                fields=["agency", "due_at", "id"],
                name="dossier_agency_open_due_idx",
                condition=models.Q(
                    status__in=[
                        "in_transit",
                        "handed_over",
                        "accepted",
                        "processing",
                        "supplement_requested",
                        "supplement_sealed",
                        "supplement_in_transit",
                        "financial_obligation",
                    ]
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.code or f"draft #{self.pk}"

    @property
    def procedure(self):
        return self.procedure_version.procedure


class DossierDocument(models.Model):
    """A line of the checklist: what the citizen handed in against a required document."""

    class Form(models.TextChoices):
        ORIGINAL = "original", _("original")
        COPY = "copy", _("copy")

    dossier = models.ForeignKey(Dossier, models.CASCADE, related_name="documents")
    required = models.ForeignKey(
        "catalog.RequiredDocument", models.PROTECT, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("document"), max_length=400)
    present = models.BooleanField(_("present"), default=False)
    form = models.CharField(_("form"), max_length=10, choices=Form.choices, blank=True)
    pages = models.PositiveSmallIntegerField(_("pages"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["dossier", "position"]


class Scan(models.Model):
    """A scanned page or file attached to a dossier, identified by its SHA-256."""

    dossier = models.ForeignKey(Dossier, models.CASCADE, related_name="scans")
    document = models.ForeignKey(
        DossierDocument, models.SET_NULL, null=True, blank=True, related_name="scans"
    )
    file = models.FileField(upload_to="scans/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


class DossierEvent(models.Model):
    """One step of a dossier's history. Append-only: never updated, never deleted."""

    dossier = models.ForeignKey(Dossier, models.PROTECT, related_name="events")
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    action = models.CharField(max_length=40)
    code = models.CharField(max_length=30)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
    national_status = models.PositiveSmallIntegerField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_role = models.CharField(max_length=20, blank=True)
    service_point = models.ForeignKey(
        "places.ServicePoint", models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        "agencies.Agency", models.PROTECT, null=True, blank=True, related_name="+"
    )
    # UPU-style codes for failures: why (reason) and what happens next (action).
    reason_code = models.CharField(max_length=20, blank=True)
    action_code = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dossier", "at"], name="dossier_event_timeline_idx")]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("Dossier events are append-only.")
        super().save(*args, **kwargs)


class DailySequence(models.Model):
    """The last number given in a dossier code for one receiving unit and one day."""

    unit_code = models.CharField(max_length=30)
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit_code", "day"], name="unique_daily_sequence")
        ]


class ResultDocument(models.Model):
    """A paper the agency issues as the result (a certificate, a licence, a decision),
    with its scan when the agency provides one."""

    dossier = models.ForeignKey(Dossier, models.PROTECT, related_name="result_documents")
    name = models.CharField(_("document"), max_length=300)
    number = models.CharField(_("number"), max_length=60, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    file = models.FileField(upload_to="results/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dossier", "id"]


class EventAttachment(models.Model):
    """A document the agency attached to a status change: the annex of a supplement
    request (Form 02), the letter of a refusal (Form 03)... Its SHA-256 is also in the
    event's details, written with the event, so the record says what was sent."""

    dossier = models.ForeignKey(Dossier, models.PROTECT, related_name="attachments")
    # No foreign key in the database: the event log is partitioned by month on PostgreSQL
    # (its key is (id, at)); the attachment is written with its event, which is never deleted.
    event = models.ForeignKey(
        DossierEvent, models.PROTECT, related_name="attachments", db_constraint=False
    )
    name = models.CharField(_("document"), max_length=300)
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dossier", "id"]
        verbose_name = _("attached document")
        verbose_name_plural = _("attached documents")


class LegRecord(models.Model):
    """One stretch of a dossier's life that one party answers for (workflow.SEGMENTS):
    the post carrying it out, the agency processing it, the post bringing the result back.
    Derived from the event log as it is written; read by the SLA task and reports."""

    class Flag(models.TextChoices):
        NONE = "", _("on time")
        DUE_SOON = "due_soon", _("due within one working day")
        OVERDUE = "overdue", _("overdue")

    dossier = models.ForeignKey(Dossier, models.PROTECT, null=True, blank=True, related_name="legs")
    # A postal order's legs (decision 0016): the dossier is on the portal, not here.
    order = models.ForeignKey(
        "dossiers.PostalOrder", models.PROTECT, null=True, blank=True, related_name="legs"
    )
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    segment = models.CharField(_("leg"), max_length=12)
    leg = models.CharField(max_length=10)
    # Who answers for it: the post office (post legs) or the agency (agency leg).
    service_point = models.ForeignKey(
        "places.ServicePoint", models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        "agencies.Agency", models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    extended = models.BooleanField(default=False)
    ended_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(null=True)
    working_seconds = models.PositiveIntegerField(null=True, blank=True)
    flag = models.CharField(max_length=10, choices=Flag.choices, default=Flag.NONE, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            # The SLA task reads only the open legs, by deadline.
            models.Index(
                fields=["due_at"],
                name="leg_open_due_idx",
                condition=models.Q(ended_at__isnull=True),
            ),
            models.Index(fields=["segment", "ended_at"], name="leg_segment_end_idx"),
            models.Index(fields=["dossier", "ended_at"], name="leg_dossier_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id or self.order_id}:{self.segment}"

    @property
    def segment_label(self):
        segment = SEGMENT_BY_NAME.get(self.segment) or ORDER_SEGMENT_BY_NAME.get(self.segment)
        return segment.label if segment else self.segment

    @property
    def code(self) -> str:
        """The code the people answering for the leg know it by."""
        if self.dossier is not None:
            return self.dossier.code or ""
        return self.order.code if self.order is not None else ""


# Django finds an app's models in its `models` module.
from postgov.dossiers.linked.models import LinkedDossier, PackagePart  # noqa: E402, F401
from postgov.dossiers.orders.models import OrderEvent, PostalOrder  # noqa: E402, F401


class DossierRating(models.Model):
    """The citizen's rating of how their dossier was handled: asked by SMS once its result
    is delivered, given once on a public page opened by the link's token. Only the token's
    hash is kept; `stars` stays empty until the citizen answers."""

    dossier = models.OneToOneField(Dossier, models.CASCADE, related_name="rating")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_at = models.DateTimeField(_("asked at"))
    expires_at = models.DateTimeField(_("link valid until"))
    stars = models.PositiveSmallIntegerField(_("stars"), null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True, default="")
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("dossier rating")
        verbose_name_plural = _("dossier ratings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stars__isnull=True) | models.Q(stars__gte=1, stars__lte=5),
                name="dossier_rating_stars_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.stars or '—'}"
