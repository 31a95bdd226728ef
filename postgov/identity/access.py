"""Who may see and do what, decided in one place.

Every view and API endpoint asks `request.access` (built once per request by
`AccessMiddleware`) rather than looking at role assignments itself. Scoping a queryset to
the user's points, agencies or province happens here too, so a new list cannot forget it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from postgov.identity.models import ADMIN_ROLES, ChangeRequest, Level, Role, RoleAssignment, User
from postgov.lib import refcache

STAFF_ROLES = frozenset(Role)
# Where a staff account works, as query paths from the user to a province: its roles'
# places, and the places roles were asked for it (a new account before its first grant).
STAFF_ACCOUNT_PROVINCES = (
    "role_assignments__service_point__commune__province",
    "role_assignments__agency__province",
    "role_assignments__province",
    "change_requests_about__province",
)


@dataclass(frozen=True)
class Assignment:
    role: str
    service_point_id: int | None
    agency_id: int | None
    province_id: int | None
    point_province_id: int | None


def _assignments(user_id: int) -> tuple[Assignment, ...]:
    rows = RoleAssignment.objects.filter(user_id=user_id, active=True).values_list(
        "role",
        "service_point_id",
        "agency_id",
        "province_id",
        "service_point__commune__province_id",
    )
    return tuple(Assignment(*row) for row in rows)


@dataclass
class Access:
    user_id: int | None
    assignments: tuple[Assignment, ...] = field(default_factory=tuple)

    @classmethod
    def for_user(cls, user) -> Access:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return cls(user_id=None)
        # Read on every signed-in request and changed a few times a year: kept per process
        # with the reference data, dropped whenever an assignment, point or commune is
        # saved (`IdentityConfig.ready`). `is_active` above is read live every time.
        held = refcache.get("identity.assignments", user.pk, lambda: _assignments(user.pk))
        return cls(user_id=user.pk, assignments=held)

    # -- roles ---------------------------------------------------------------------------
    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(a.role for a in self.assignments)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff_member(self) -> bool:
        return bool(self.roles)

    # -- places each role reaches --------------------------------------------------------
    def point_ids(self, *roles: str) -> frozenset[int]:
        roles = roles or tuple(STAFF_ROLES)
        return frozenset(
            a.service_point_id for a in self.assignments if a.role in roles and a.service_point_id
        )

    def agency_ids(self, *roles: str) -> frozenset[int]:
        roles = roles or tuple(STAFF_ROLES)
        return frozenset(a.agency_id for a in self.assignments if a.role in roles and a.agency_id)

    def province_ids(self, *roles: str) -> frozenset[int]:
        """Provinces where the user holds a province-wide role (admin, auditor)."""
        roles = roles or (Role.PROVINCIAL_ADMIN, Role.AUDITOR)
        return frozenset(
            a.province_id for a in self.assignments if a.role in roles and a.province_id
        )

    def can_act_at_point(self, point_id: int | None, *roles: str) -> bool:
        return point_id is not None and point_id in self.point_ids(*roles)

    def can_act_for_agency(self, agency_id: int | None, *roles: str) -> bool:
        return agency_id is not None and agency_id in self.agency_ids(*roles)

    def oversees_province(self, province_id: int | None) -> bool:
        return province_id is not None and province_id in self.province_ids()

    # -- queryset scoping ----------------------------------------------------------------
    def scope(
        self,
        queryset: QuerySet,
        *,
        point_field: str | tuple[str, ...] | None = None,
        agency_field: str | None = None,
        province_field: str | None = None,
        roles: Iterable[str] = (),
    ) -> QuerySet:
        """Keep the rows this user may see: rows at one of their points, for one of their
        agencies, or in a province they oversee. Nothing for someone with no role."""
        roles = tuple(roles)
        condition = Q(pk__in=[])
        if point_field and (ids := self.point_ids(*roles)):
            for name in (point_field,) if isinstance(point_field, str) else point_field:
                condition |= Q(**{f"{name}__in": ids})
        if agency_field and (ids := self.agency_ids(*roles)):
            condition |= Q(**{f"{agency_field}__in": ids})
        oversight = not roles or set(roles) & {Role.PROVINCIAL_ADMIN, Role.AUDITOR}
        if province_field and oversight and (ids := self.province_ids()):
            condition |= Q(**{f"{province_field}__in": ids})
        return queryset.filter(condition)

    # -- administration (the Django admin and the changes waiting for approval) -----------
    @property
    def is_national_admin(self) -> bool:
        return Role.NATIONAL_ADMIN in self.roles

    @property
    def is_admin(self) -> bool:
        return bool(self.roles & ADMIN_ROLES)

    def administered_province_ids(self) -> frozenset[int]:
        """Provinces where the user is a provincial administrator (auditors excluded)."""
        return self.province_ids(Role.PROVINCIAL_ADMIN)

    def administers(self, province_id: int | None) -> bool:
        """Whether the user administers what belongs to this province, or (None) the
        national objects. National administrators administer every province too: someone
        must grant a new province its first administrator."""
        if self.is_national_admin:
            return True
        return province_id is not None and province_id in self.administered_province_ids()

    def administered(self, queryset: QuerySet, *province_paths: str) -> QuerySet:
        """Keep the rows whose province (reached by any of `province_paths`) the user
        administers: all of them for a national administrator, none for anyone else
        without a provincial administrator role. Rows reached through a many-valued
        relation come out once."""
        if self.is_national_admin:
            return queryset
        ids = self.administered_province_ids()
        if not ids or not province_paths:
            return queryset.none()
        condition = Q()
        for path in province_paths:
            condition |= Q(**{f"{path}__in": ids})
        if any("__" in path for path in province_paths):
            matching = queryset.filter(condition).order_by().values("pk")
            return queryset.filter(pk__in=matching)
        return queryset.filter(condition)

    def account_scopes(self, user) -> list[int | None]:
        """Where a staff account works: the provinces of its active roles (None for a
        national role); for an account with no active role, those of every role it held
        or was asked for. Empty for a citizen."""
        rows = RoleAssignment.objects.filter(user=user).select_related(
            "service_point__commune", "agency"
        )
        active = [row.province_id_in_scope for row in rows if row.active]
        if active:
            return active
        asked = ChangeRequest.objects.filter(subject_user=user).values_list(
            "province_id", flat=True
        )
        return [row.province_id_in_scope for row in rows] + list(asked)

    def can_administer_account(self, user) -> bool:
        """Whether the user may change this account in the admin: a staff account whose
        every place they administer, and never their own (their account page asks for
        the password and proves a new phone). Citizens' accounts are not changed in the
        admin: they recover them at a counter."""
        if user.pk is None or user.pk == self.user_id or not self.is_admin:
            return False
        scopes = self.account_scopes(user)
        return bool(scopes) and all(self.administers(scope) for scope in scopes)

    def can_decide(self, change: ChangeRequest) -> bool:
        """Four eyes: an administrator of the change's scope who neither asked for it nor
        is the person it is about."""
        return (
            change.status == ChangeRequest.Status.PENDING
            and self.administers(change.province_id)
            and self.user_id not in (change.requested_by_id, change.subject_user_id)
        )

    def decidable(self, queryset: QuerySet[ChangeRequest]) -> QuerySet[ChangeRequest]:
        """The pending changes this user may decide (`can_decide`, as a query)."""
        pending = queryset.filter(status=ChangeRequest.Status.PENDING).exclude(
            requested_by_id=self.user_id
        )
        pending = pending.exclude(subject_user_id=self.user_id)
        if self.is_national_admin:
            return pending
        return pending.filter(province_id__in=self.administered_province_ids())


class AccessRequest(HttpRequest):
    """For type checking only: a staff member's request, past the login and the middleware
    that puts their `Access` on it (`role_required` views and what they call)."""

    user: User
    access: Access


def role_required(*roles: str):
    """View decorator: anonymous users go to the login page; users without one of `roles`
    (any staff role when none is given) get 403."""
    wanted = roles or tuple(STAFF_ROLES)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.access.has_role(*wanted):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_roles = wanted
        return wrapper

    return decorator


# -- a citizen's own records -------------------------------------------------------------------
# A citizen sees dossiers by the ID number a counter verified (never a merely declared one),
# and only while the account holds level 2: an account recovered by SMS drops to level 1
# until a counter checks the card again, and sees nothing meanwhile.


def verified_id_number(user) -> str:
    """The ID number the user's dossiers are found by, or "" when there is none."""
    if not getattr(user, "is_authenticated", False) or user.level < Level.VERIFIED:
        return ""
    return user.verified_id_number or ""


def own_dossiers(user, queryset: QuerySet) -> QuerySet:
    """The dossiers whose applicant is this citizen (by the verified ID number)."""
    number = verified_id_number(user)
    return queryset.filter(applicant_id_number=number) if number else queryset.none()


def own_pickups(user, queryset: QuerySet) -> QuerySet:
    """Home pickups booked from this account, or with its verified phone number."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    condition = Q(account_id=user.pk)
    if user.phone and user.phone_verified_at:
        condition |= Q(phone=user.phone)
    return queryset.filter(condition)
