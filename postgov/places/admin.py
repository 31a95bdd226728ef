from django.contrib import admin

from postgov.identity.admin import ProvincialAdminMixin
from postgov.places.models import Commune, PostalCode, PostalCodeSet, Province, ServicePoint


@admin.register(Province)
class ProvinceAdmin(ProvincialAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["name", "name_folded", "code"]

    def has_add_permission(self, request, *args):
        return False  # loaded from the national data set

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Commune)
class CommuneAdmin(ProvinceAdmin):
    list_display = ["code", "name", "province", "kind"]
    list_filter = ["province"]
    search_fields = ["name", "name_folded", "code"]


@admin.register(ServicePoint)
class ServicePointAdmin(ProvincialAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "commune", "postal_code", "active", "is_demo"]
    list_filter = ["kind", "active", "is_demo"]
    search_fields = ["code", "name", "name_folded"]
    autocomplete_fields = ["commune"]


class PostalCodeInline(ProvincialAdminMixin, admin.TabularInline):
    model = PostalCode
    extra = 0
    autocomplete_fields = ["province", "commune"]


@admin.register(PostalCodeSet)
class PostalCodeSetAdmin(ProvincialAdminMixin, admin.ModelAdmin):
    list_display = ["name", "valid_from", "is_current", "is_demo", "imported_at"]
