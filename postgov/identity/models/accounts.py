"""People who log in (staff and citizens), their roles and where those roles apply,
their sessions and the one-time codes sent to them."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from postgov.lib.idcard import Gender


class Level(models.IntegerChoices):
    """Assurance level of a PostID account (NIST SP 800-63A IAL)."""

    BASIC = 1, _("Level 1 (self-declared)")
    VERIFIED = 2, _("Level 2 (identity checked in person)")


class UserManager(DjangoUserManager):
    """Django's own user manager. A class of ours because the migrations name it."""


class User(AbstractUser):
    """A person with a login. Staff have role assignments; citizens (PostID) have none."""

    objects = UserManager()

    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    # The public OpenID Connect subject: random, never reassigned, says nothing.
    subject = models.UUIDField(_("subject"), default=uuid.uuid4, unique=True, editable=False)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    # What the citizen typed at registration; only the counter check makes it verified.
    declared_id_number = models.CharField(_("declared ID number"), max_length=12, blank=True)
    verified_id_number = models.CharField(
        _("verified ID number"), max_length=12, blank=True, default="", editable=False
    )
    level = models.PositiveSmallIntegerField(
        _("assurance level"), choices=Level.choices, default=Level.BASIC
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    phone_verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True)
    email_verified_at = models.DateTimeField(_("e-mail verified at"), null=True, blank=True)
    permanent_address = models.CharField(_("permanent address"), max_length=300, blank=True)
    permanent_commune = models.ForeignKey(
        "places.Commune",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("permanent address: commune"),
    )
    current_address = models.CharField(_("current address"), max_length=300, blank=True)
    current_commune = models.ForeignKey(
        "places.Commune",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current address: commune"),
    )
    # Registered at a counter for someone with no phone or e-mail.
    assisted = models.BooleanField(_("registered at the counter"), default=False)
    password_must_change = models.BooleanField(_("must change password"), default=False)
    # The citizen asked for an SMS code at every login (staff always give a second factor).
    sms_login = models.BooleanField(_("SMS code at login"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # One verified identity, one account: a second account proofed with the same
            # ID number goes to a supervisor, never merged.
            models.UniqueConstraint(
                fields=["verified_id_number"],
                condition=~models.Q(verified_id_number=""),
                name="unique_verified_id_number",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    # A phone number or e-mail address is proven by a code sent to it. Whatever changes it
    # (the admin, a future form, a script) without proving the new one leaves it
    # unverified, so SMS login and recovery never go to a number nobody proved.
    CONTACT_PROOF = {"phone": "phone_verified_at", "email": "email_verified_at"}

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user.remember_contact()
        return user

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self.remember_contact()

    def remember_contact(self) -> None:
        """What the row holds now: a save compares the contact fields with it."""
        deferred = self.get_deferred_fields()
        self.contact_as_loaded = {
            name: getattr(self, name)
            for pair in self.CONTACT_PROOF.items()
            for name in pair
            if name not in deferred
        }

    def save(self, *args: Any, **kwargs: Any) -> None:
        as_loaded = getattr(self, "contact_as_loaded", {})
        update_fields = kwargs.get("update_fields")
        for contact, proof in self.CONTACT_PROOF.items():
            if contact not in as_loaded or proof not in as_loaded:
                continue
            if update_fields is not None and contact not in update_fields:
                continue
            changed = getattr(self, contact) != as_loaded[contact]
            proven_again = getattr(self, proof) != as_loaded[proof]
            if changed and not proven_again and getattr(self, proof) is not None:
                setattr(self, proof, None)
                if update_fields is not None:
                    kwargs["update_fields"] = {*update_fields, proof}
        super().save(*args, **kwargs)
        self.remember_contact()

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username


class Role(models.TextChoices):
    CLERK = "clerk", _("Counter clerk")
    POSTMAN = "postman", _("Postman")
    SUPERVISOR = "supervisor", _("Point supervisor")
    AGENCY_RECEIVER = "agency_receiver", _("Agency receiver")
    AGENCY_OFFICER = "agency_officer", _("Agency officer")
    PROVINCIAL_ADMIN = "provincial_admin", _("Provincial administrator")
    AUDITOR = "auditor", _("Auditor")
    # Relying parties, upstream providers, signing keys and the national reference data
    # belong to no province: this role, held without a place, administers them.
    NATIONAL_ADMIN = "national_admin", _("National administrator")


# The staff of a post office (service point): every role held at a point. One set, used
# wherever "point staff" is meant (the workflow table, the counter's views, the SLA digests).
POINT_ROLES = frozenset({Role.CLERK, Role.POSTMAN, Role.SUPERVISOR})
AGENCY_ROLES = frozenset({Role.AGENCY_RECEIVER, Role.AGENCY_OFFICER})
PROVINCE_ROLES = frozenset({Role.PROVINCIAL_ADMIN, Role.AUDITOR})
NATIONAL_ROLES = frozenset({Role.NATIONAL_ADMIN})
ADMIN_ROLES = frozenset({Role.PROVINCIAL_ADMIN, Role.NATIONAL_ADMIN})


class RoleAssignment(models.Model):
    """A role held by a user at one place: a service point (clerk, postman, supervisor),
    an agency (receiver, officer) or a province (admin, auditor)."""

    user = models.ForeignKey(
        User, models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    service_point = models.ForeignKey(
        "places.ServicePoint",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("service point"),
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("agency"),
    )
    province = models.ForeignKey(
        "places.Province",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            # Each role is scoped to exactly the kind of place it works at.
            models.CheckConstraint(
                name="role_scope_matches_role",
                violation_error_message=_(
                    "A point role needs a service point, an agency role an agency, a "
                    "provincial role a province, and a national role no place at all."
                ),
                condition=(
                    models.Q(
                        role__in=sorted(POINT_ROLES),
                        service_point__isnull=False,
                        agency__isnull=True,
                        province__isnull=True,
                    )
                    | models.Q(
                        role__in=sorted(AGENCY_ROLES),
                        service_point__isnull=True,
                        agency__isnull=False,
                        province__isnull=True,
                    )
                    | models.Q(
                        role__in=sorted(PROVINCE_ROLES),
                        service_point__isnull=True,
                        agency__isnull=True,
                        province__isnull=False,
                    )
                    | models.Q(
                        role__in=sorted(NATIONAL_ROLES),
                        service_point__isnull=True,
                        agency__isnull=True,
                        province__isnull=True,
                    )
                ),
            )
        ]

    def __str__(self) -> str:
        where = self.service_point or self.agency or self.province or _("whole country")
        return f"{self.get_role_display()} — {where}"

    @property
    def province_id_in_scope(self) -> int | None:
        """The province whose administrators answer for this assignment; None for a
        national role (national administrators only)."""
        if self.service_point_id:
            return self.service_point.commune.province_id
        if self.agency_id:
            return self.agency.province_id
        return self.province_id


class LoginFailure(models.Model):
    """A failed login, kept for throttling (per account and client, per client, per
    account). The account name is stored folded and hashed, never as typed. The client is
    where the attempt came from: an IPv4 address, an IPv6 /64, or a known device of the
    account ("device:<id>", see `identity.throttle`)."""

    username_hash = models.CharField(max_length=64, db_index=True)
    client = models.CharField(max_length=80, db_index=True)
    at = models.DateTimeField(db_index=True)


class UserSession(models.Model):
    """One login: lets the account page list sessions and end them elsewhere."""

    user = models.ForeignKey(User, models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    amr = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]


class OneTimeCode(models.Model):
    """A short code sent by SMS or e-mail. Only its keyed hash is stored."""

    class Purpose(models.TextChoices):
        VERIFY_PHONE = "verify_phone", _("verify a phone number")
        VERIFY_EMAIL = "verify_email", _("verify an e-mail address")
        LOGIN = "login", _("second factor")
        RECOVERY = "recovery", _("account recovery")
        PROOFING = "proofing", _("counter check")

    user = models.ForeignKey(User, models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    channel = models.CharField(max_length=5)
    destination = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "purpose", "created_at"], name="otc_user_purpose_idx")
        ]
