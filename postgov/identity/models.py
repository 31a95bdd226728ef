"""People who log in (staff and citizens), their roles and where those roles apply."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person with a login. Staff have role assignments; citizens (PostID) have none."""

    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

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


POINT_ROLES = frozenset({Role.CLERK, Role.POSTMAN, Role.SUPERVISOR})
AGENCY_ROLES = frozenset({Role.AGENCY_RECEIVER, Role.AGENCY_OFFICER})
PROVINCE_ROLES = frozenset({Role.PROVINCIAL_ADMIN, Role.AUDITOR})


class RoleAssignment(models.Model):
    """A role held by a user at one place: a service point (clerk, postman, supervisor),
    an agency (receiver, officer) or a province (admin, auditor)."""

    user = models.ForeignKey(User, models.CASCADE, related_name="role_assignments")
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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            # Each role is scoped to exactly the kind of place it works at.
            models.CheckConstraint(
                name="role_scope_matches_role",
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
                ),
            )
        ]

    def __str__(self) -> str:
        where = self.service_point or self.agency or self.province
        return f"{self.get_role_display()} — {where}"


class LoginFailure(models.Model):
    """A failed login, kept for throttling (per account+address and per address).
    The account name is stored folded and hashed, never as typed."""

    username_hash = models.CharField(max_length=64, db_index=True)
    address = models.GenericIPAddressField(db_index=True)
    at = models.DateTimeField(db_index=True)
