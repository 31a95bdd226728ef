from django.contrib import admin

from postgov.identity.admin_scope import ScopedAdmin
from postgov.places.models import Commune, PostalCodeSet, Province, ServicePoint


@admin.register(Province)
class ProvinceAdmin(ScopedAdmin, admin.ModelAdmin):
    """Loaded from the national data set. A provincial administrator sees their own
    province (it is what their forms may point to)."""

    province_path = "pk"
    read_only = True
    list_display = ["code", "name"]
    search_fields = ["name", "name_folded", "code"]


@admin.register(Commune)
class CommuneAdmin(ScopedAdmin, admin.ModelAdmin):
    province_path = "province"
    read_only = True
    list_display = ["code", "name", "province", "kind"]
    list_filter = ["province"]
    search_fields = ["name", "name_folded", "code"]

    def get_list_filter(self, request):
        # The province filter lists every province: only national administrators need it.
        return self.list_filter if request.access.is_national_admin else []


@admin.register(ServicePoint)
class ServicePointAdmin(ScopedAdmin, admin.ModelAdmin):
    province_path = "commune__province"
    list_display = ["code", "name", "kind", "commune", "postal_code", "active", "is_demo"]
    list_filter = ["kind", "active", "is_demo"]
    search_fields = ["code", "name", "name_folded"]
    autocomplete_fields = ["commune"]


@admin.register(PostalCodeSet)
class PostalCodeSetAdmin(ScopedAdmin, admin.ModelAdmin):
    """The national postal-code table: national administrators only."""

    list_display = ["name", "valid_from", "is_current", "is_demo", "imported_at"]
