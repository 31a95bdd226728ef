"""How every page of the Django admin is scoped through `request.access`.

Each ModelAdmin of the project is a `ScopedAdmin` (each inline a `ScopedInline`): its
list, its change and add pages, its foreign-key choices (selects and autocomplete) and
its actions show a provincial administrator only the rows of their province, and national
objects (portals, upstream providers, keys, national reference data) only to national
administrators. A test checks that no admin of the site escapes this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.admin.exceptions import NotRegistered
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    # What the mixin is always combined with (`class XAdmin(ScopedAdmin, admin.ModelAdmin)`).
    _AdminBase = ModelAdmin
else:
    _AdminBase = object


def is_admin(request) -> bool:
    """The admin site opens to provincial and national administrators only, whatever
    Django's `is_staff` or `is_superuser` say."""
    user = request.user
    return bool(user.is_authenticated and user.is_active and request.access.is_admin)


def province_of(obj: Model, path: str) -> int | None:
    """Follow `path` (as in a query: "commune__province", or "pk" for a province itself)
    from `obj` to its province's primary key."""
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop)
        if obj is None:
            return None
    return obj.pk if last == "pk" else getattr(obj, f"{last}_id")


class ScopedAdmin(_AdminBase):
    """Who sees and changes which rows of a model in the admin.

    - `province_path`: the query path from a row to its province. A provincial
      administrator sees and changes the rows of their provinces; a national
      administrator every row.
    - `province_path = None`: a national object, for national administrators only; with
      `reference`, every administrator may read it (procedures: an agency's competence
      names them) and only national ones change it.
    - `nationwide_rows`: a row with no province applies to the whole country (a tariff, a
      calendar swap): every administrator reads it, only national ones change or add it.
    - `read_only`: rows are loaded or written elsewhere; nobody adds or changes them here.

    Nothing is deleted: records are superseded.
    """

    province_path: str | tuple[str, ...] | None = None
    reference = False
    nationwide_rows = False
    read_only = False

    # -- rows ----------------------------------------------------------------------------
    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        if not is_admin(request):
            return queryset.none()
        access = request.access
        if self.province_path is None:
            return queryset if (self.reference or access.is_national_admin) else queryset.none()
        paths = (self.province_path,) if isinstance(self.province_path, str) else self.province_path
        scoped = access.administered(queryset, *paths)
        if self.nationwide_rows and not access.is_national_admin:
            nationwide = Q(**{f"{self.province_path}__isnull": True})
            scoped = queryset.filter(Q(pk__in=scoped.order_by().values("pk")) | nationwide)
        return scoped

    def province_of(self, obj: Model) -> int | None:
        """The province of one row (admins with several paths say it themselves)."""
        if not self.province_path:
            return None
        if not isinstance(self.province_path, str):
            raise NotImplementedError(f"{type(self).__name__} has several paths: say which")
        return province_of(obj, self.province_path)

    # -- permissions ---------------------------------------------------------------------
    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        if not is_admin(request):
            return False
        access = request.access
        if self.province_path is None:
            return self.reference or access.is_national_admin
        if obj is None:
            return True
        province = self.province_of(obj)
        if province is None:
            return self.nationwide_rows or access.is_national_admin
        return access.administers(province)

    def has_change_permission(self, request, obj=None) -> bool:
        if self.read_only or not is_admin(request):
            return False
        access = request.access
        if self.province_path is None:
            return access.is_national_admin
        if obj is None:
            return True
        return access.administers(self.province_of(obj))

    def has_add_permission(self, request, *args) -> bool:
        if self.read_only or not is_admin(request):
            return False
        return self.province_path is not None or request.access.is_national_admin

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        # The form's choices already keep a provincial administrator in their province;
        # this holds even if a form forgot to.
        if self.province_path is not None and not request.access.administers(self.province_of(obj)):
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    # -- choices -------------------------------------------------------------------------
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            scoped = choices_for(self.admin_site, db_field, request)
            if scoped is not None:
                kwargs["queryset"] = scoped
        if (
            self.province_path == db_field.name
            and self.nationwide_rows
            and not request.access.is_national_admin
        ):
            # Empty would mean "the whole country", which is not theirs to set.
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            scoped = choices_for(self.admin_site, db_field, request)
            if scoped is not None:
                kwargs["queryset"] = scoped
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def choices_for(site, db_field, request) -> QuerySet | None:
    """The rows a relation may point to: those the related model's admin shows this
    user (so a form posted with the key of another province's row is refused)."""
    try:
        related_admin = site.get_model_admin(db_field.remote_field.model)
    except NotRegistered:
        return None
    queryset = related_admin.get_queryset(request)
    ordering = related_admin.get_ordering(request)
    return queryset.order_by(*ordering) if ordering else queryset


class ScopedInline:
    """Rows shown inside another model's page: they follow the permissions of the page
    they belong to, and their choices are scoped like the page's."""

    def parent_admin(self):
        return self.admin_site.get_model_admin(self.parent_model)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.parent_admin().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.parent_admin().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        parent = self.parent_admin()
        if obj is None:
            return parent.has_add_permission(request)
        return parent.has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            scoped = choices_for(self.admin_site, db_field, request)
            if scoped is not None:
                kwargs["queryset"] = scoped
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
