"""Django admin, for provincial administrators only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from postgov.identity.models import Role, RoleAssignment, User


def _is_provincial_admin(request) -> bool:
    return bool(
        request.user.is_active
        and request.user.is_authenticated
        and request.access.has_role(Role.PROVINCIAL_ADMIN)
    )


# The admin site opens to provincial administrators, whatever Django's is_staff says.
admin.site.has_permission = _is_provincial_admin
admin.site.site_header = "PostGov — Quản trị"
admin.site.site_title = "PostGov"


class ProvincialAdminMixin:
    """Provincial administrators may view, add and change; nothing is deleted (records are
    superseded, not removed)."""

    def has_module_permission(self, request):
        return _is_provincial_admin(request)

    def has_view_permission(self, request, obj=None):
        return _is_provincial_admin(request)

    def has_add_permission(self, request, *args):
        return _is_provincial_admin(request)

    def has_change_permission(self, request, obj=None):
        return _is_provincial_admin(request)

    def has_delete_permission(self, request, obj=None):
        return False


class RoleAssignmentInline(ProvincialAdminMixin, admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["service_point", "agency", "province"]


@admin.register(User)
class UserAdmin(ProvincialAdminMixin, BaseUserAdmin):
    list_display = ["username", "full_name", "is_active", "last_login"]
    search_fields = ["username", "full_name"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Thông tin", {"fields": ("full_name", "email", "phone")}),
        ("Trạng thái", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    inlines = [RoleAssignmentInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ProvincialAdminMixin, admin.ModelAdmin):
    list_display = ["user", "role", "service_point", "agency", "province", "active"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "user__full_name"]
    autocomplete_fields = ["user", "service_point", "agency", "province"]
