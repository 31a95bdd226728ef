"""Postal items (UPU S10), their serial numbers, and home pickups."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from postgov.places.positions import Source as PositionSource


class ItemSerial(models.Model):
    """The last S10 serial given for a service indicator, on SQLite. On PostgreSQL serials
    come from a sequence per indicator that starts after this row's value
    (`postgov.delivery.serials`). Serials only go up, so an item ID is never reused (the
    unique constraint on PostalItem.item_id guards it too)."""

    service_indicator = models.CharField(max_length=2, primary_key=True)
    last_value = models.PositiveIntegerField(default=0)


class PostalItem(models.Model):
    """One physical item carried by the post for a dossier: the dossier going to the
    agency, a supplement, or the result coming back. An item of a dossier filed online
    belongs to its postal order instead (decision 0016): one of the two, never both."""

    class Leg(models.TextChoices):
        OUTBOUND = "outbound", _("dossier to the agency")
        SUPPLEMENT = "supplement", _("supplement to the agency")
        RETURN = "return", _("result to the citizen")

    item_id = models.CharField(_("item ID"), max_length=13, unique=True)
    dossier = models.ForeignKey(
        "dossiers.Dossier", models.PROTECT, null=True, blank=True, related_name="items"
    )
    order = models.ForeignKey(
        "dossiers.PostalOrder", models.PROTECT, null=True, blank=True, related_name="items"
    )
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    leg = models.CharField(_("leg"), max_length=10, choices=Leg.choices)
    weight_g = models.PositiveIntegerField(_("weight (g)"), default=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dossier__isnull=False, order__isnull=True)
                | models.Q(dossier__isnull=True, order__isnull=False),
                name="item_of_dossier_or_order",
            )
        ]

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
    # Where the pickup address is (places.positions): its source says how far to trust it.
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    vpostcode = models.CharField("Vpostcode", max_length=12, blank=True)
    position_source = models.CharField(
        _("position set by"), max_length=8, choices=PositionSource.choices, blank=True
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
    # The PostID account that booked while signed in; the citizen's "my pickups" lists
    # these and the bookings made with the account's verified phone.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="pickup_bookings",
        verbose_name=_("account"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "window", "created_at"]
        indexes = [
            models.Index(fields=["phone"], name="pickup_phone_idx"),
            models.Index(
                fields=["service_point", "date", "window"], name="pickup_point_window_idx"
            ),
        ]

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


class Manifest(models.Model):
    """A bảng kê: the items one postman carries on one trip between a post office and an
    agency — sealed dossiers and supplements out, results back."""

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", _("to the agency")
        RETURN = "return", _("results from the agency")

    class Status(models.TextChoices):
        LOADING = "loading", _("loading")
        DISPATCHED = "dispatched", _("on the way")
        PRESENTED = "presented", _("presented at the agency")
        HANDED_OVER = "handed_over", _("handed over")
        COLLECTED = "collected", _("results collected")
        CANCELLED = "cancelled", _("cancelled")

    code = models.CharField(_("manifest number"), max_length=40, unique=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.LOADING, db_index=True
    )
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    service_point = models.ForeignKey(
        "places.ServicePoint",
        models.PROTECT,
        related_name="manifests",
        verbose_name=_("post office"),
    )
    agency = models.ForeignKey(
        "agencies.Agency", models.PROTECT, related_name="manifests", verbose_name=_("agency")
    )
    postman = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("postman")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    # The postman's half of the hand-over record: presented at the agency, signed.
    presented_at = models.DateTimeField(_("presented at"), null=True, blank=True)
    postman_signature = models.FileField(upload_to="signatures/%Y/%m/", blank=True)
    # The agency's half: the receiver counted and confirmed.
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received by"),
    )
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    receiver_signature = models.FileField(upload_to="signatures/%Y/%m/", blank=True)
    fees_expected = models.PositiveIntegerField(_("fees to hand over"), default=0)
    fees_received = models.PositiveIntegerField(_("fees received by the agency"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("manifest")
        verbose_name_plural = _("manifests")
        indexes = [
            models.Index(fields=["agency", "status"], name="manifest_agency_status_idx"),
            models.Index(fields=["service_point", "status"], name="manifest_point_status_idx"),
        ]

    def __str__(self) -> str:
        return self.code


class ManifestItem(models.Model):
    """One postal item on a manifest, and what the agency found when counting it."""

    class Check(models.TextChoices):
        PENDING = "pending", _("not counted yet")
        OK = "ok", _("complete, as on the dispatch slip")
        DISCREPANCY = "discrepancy", _("received with a discrepancy")
        NOT_RECEIVED = "not_received", _("not received (taken back)")

    manifest = models.ForeignKey(Manifest, models.PROTECT, related_name="items")
    item = models.ForeignKey(PostalItem, models.PROTECT, related_name="manifest_lines")
    # The item's dossier or order (decision 0016), copied for the lists that read lines.
    dossier = models.ForeignKey(
        "dossiers.Dossier", models.PROTECT, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "dossiers.PostalOrder", models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    check_result = models.CharField(
        _("count check"), max_length=12, choices=Check.choices, default=Check.PENDING
    )
    check_note = models.CharField(_("what differs"), max_length=300, blank=True)
    fee_expected = models.PositiveIntegerField(default=0)
    fee_received = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["manifest", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["manifest", "item"], name="unique_item_on_manifest")
        ]


class ManifestRefusal(models.Model):
    """A scan the manifest refused (unknown item, another agency, wrong state...), kept so
    the supervisor sees what the postman tried to load."""

    manifest = models.ForeignKey(Manifest, models.PROTECT, related_name="refusals")
    scanned = models.CharField(max_length=60)
    reason = models.CharField(max_length=300)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]


class DeliveryAttempt(models.Model):
    """One try at handing a result to the citizen: at the door or at the counter."""

    class Reason(models.TextChoices):
        # UPU-style reasons for a failed delivery (why)...
        ABSENT = "ABSENT", _("Recipient absent")
        WRONG_ADDRESS = "BADADDR", _("Incorrect or incomplete address")
        MOVED = "MOVED", _("Recipient moved away")
        REFUSED = "REFUSED", _("Refused by the recipient")
        NO_ID = "NOID", _("Recipient could not prove identity")
        UNSAFE = "NOACCESS", _("Premises not accessible")
        OTHER = "OTHER", _("Other reason")

    class Next(models.TextChoices):
        # ...and what happens next (action code).
        RETRY = "RETRY", _("Will try again")
        HOLD = "HOLD", _("Held at the post office for collection")
        RETURN = "RETURN", _("Return to the agency")

    dossier = models.ForeignKey(
        "dossiers.Dossier", models.PROTECT, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "dossiers.PostalOrder", models.PROTECT, null=True, blank=True, related_name="attempts"
    )
    item = models.ForeignKey(
        PostalItem, models.PROTECT, null=True, blank=True, related_name="attempts"
    )
    postman = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    service_point = models.ForeignKey("places.ServicePoint", models.PROTECT, related_name="+")
    at = models.DateTimeField()
    delivered = models.BooleanField()
    reason_code = models.CharField(_("reason"), max_length=10, choices=Reason.choices, blank=True)
    action_code = models.CharField(_("next step"), max_length=10, choices=Next.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dossier", "at"], name="attempt_dossier_idx")]


class ProofOfDelivery(models.Model):
    """Who received the result, how they proved it, and their signature."""

    class Relation(models.TextChoices):
        SELF = "self", _("The applicant")
        FAMILY = "family", _("A family member")
        AUTHORISED = "authorised", _("An authorised person")
        OTHER = "other", _("Other")

    dossier = models.OneToOneField(
        "dossiers.Dossier", models.PROTECT, null=True, blank=True, related_name="proof"
    )
    order = models.OneToOneField(
        "dossiers.PostalOrder", models.PROTECT, null=True, blank=True, related_name="proof"
    )
    attempt = models.OneToOneField(DeliveryAttempt, models.PROTECT, related_name="proof")

    class IdHolder(models.TextChoices):
        NOT_RECORDED = "", _("not recorded")
        APPLICANT = "applicant", _("the applicant's card, checked against the dossier")
        RECIPIENT = "recipient", _("the recipient's own card")

    recipient_name = models.CharField(_("recipient's full name"), max_length=200)
    # Only the last four digits of the ID shown: enough to trace, not enough to misuse.
    id_last4 = models.CharField(_("last 4 digits of the ID"), max_length=4)
    # Whose card those digits are from: the applicant's when they receive it themselves,
    # the recipient's own card otherwise.
    id_holder = models.CharField(
        _("ID card checked"), max_length=10, choices=IdHolder.choices, blank=True
    )
    relation = models.CharField(
        _("relation to the applicant"), max_length=10, choices=Relation.choices
    )
    relation_note = models.CharField(_("relation (details)"), max_length=200, blank=True)
    signature = models.FileField(upload_to="signatures/%Y/%m/", blank=True)
    # False when the recipient did not sign on the screen: the reason given is a
    # MissingSignature, which a supervisor reviews.
    signature_captured = models.BooleanField(default=False)
    photo = models.FileField(upload_to="proofs/%Y/%m/", blank=True)
    at = models.DateTimeField()
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    location_accuracy_m = models.FloatField(null=True, blank=True)
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    at_counter = models.BooleanField(default=False)


class MissingSignature(models.Model):
    """A step that needs a signature drawn on the screen and went without one: who did it,
    why the person could not sign, and the supervisor of the post office who reviewed it.
    The step itself says "not signed on the screen"; this is the reason, kept apart so the
    supervisor has one list of them."""

    class Step(models.TextChoices):
        DELIVERY = "delivery", _("proof of delivery: the recipient")
        PRESENTED = "presented", _("hand-over record: the postman's half")
        RECEIVED = "received", _("hand-over record: the agency's half")

    class Reason(models.TextChoices):
        PAPER = "paper", _("Signed on the paper copy: the screen could not take the signature")
        CANNOT_SIGN = "cannot_sign", _("Cannot sign (illness, injury, disability, age)")
        OTHER = "other", _("Other reason")

    step = models.CharField(_("step"), max_length=10, choices=Step.choices)
    reason = models.CharField(_("why there is no signature"), max_length=12, choices=Reason.choices)
    note = models.CharField(_("what happened"), max_length=300)
    # The post office whose supervisor reviews it: where the result is returned from, or
    # the office of the manifest.
    service_point = models.ForeignKey(
        "places.ServicePoint", models.PROTECT, related_name="+", verbose_name=_("post office")
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier", models.PROTECT, null=True, blank=True, related_name="+"
    )
    manifest = models.ForeignKey(
        Manifest, models.PROTECT, null=True, blank=True, related_name="missing_signatures"
    )
    order = models.ForeignKey(
        "dossiers.PostalOrder", models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("supervisor's note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("step without a signature")
        verbose_name_plural = _("steps without a signature")
        indexes = [
            models.Index(fields=["service_point", "reviewed_at"], name="missing_sign_point_idx")
        ]

    def __str__(self) -> str:
        return f"{self.step}:{self.dossier_id or self.manifest_id}"
