from django.contrib import admin

from postgov.agencies.models import Agency, CalendarAdjustment, Competence
from postgov.identity.admin_scope import ScopedAdmin, ScopedInline


class CompetenceInline(ScopedInline, admin.TabularInline):
    model = Competence
    extra = 0
    autocomplete_fields = ["procedure", "province", "commune"]


@admin.register(Agency)
class AgencyAdmin(ScopedAdmin, admin.ModelAdmin):
    province_path = "province"
    list_display = ["unit_code", "name", "level", "desk_kind", "province", "integration", "active"]
    list_filter = ["level", "desk_kind", "integration", "active", "is_demo"]
    search_fields = ["unit_code", "name", "name_folded"]
    autocomplete_fields = ["province", "commune", "parent"]
    inlines = [CompetenceInline]


@admin.register(CalendarAdjustment)
class CalendarAdjustmentAdmin(ScopedAdmin, admin.ModelAdmin):
    """A province's swaps are its administrators'; nationwide ones (no province) are read
    by all and changed by national administrators."""

    province_path = "province"
    nationwide_rows = True
    list_display = ["date", "kind", "province", "note"]
    list_filter = ["kind", "province"]
    date_hierarchy = "date"

    def has_delete_permission(self, request, obj=None):
        # A swap entered by mistake must be removable before it takes effect.
        return self.has_change_permission(request, obj)
