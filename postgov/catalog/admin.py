from django.contrib import admin

from postgov.catalog.models import (
    ExemptCategory,
    Fee,
    PostalTariff,
    Procedure,
    ProcedureVersion,
    RequiredDocument,
    TariffBand,
)
from postgov.identity.admin import ProvincialAdminMixin


@admin.register(Procedure)
class ProcedureAdmin(ProvincialAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "field", "agency_level", "is_demo"]
    list_filter = ["agency_level", "field", "is_demo"]
    search_fields = ["code", "name", "name_folded"]


class RequiredDocumentInline(ProvincialAdminMixin, admin.TabularInline):
    model = RequiredDocument
    extra = 0


class FeeInline(ProvincialAdminMixin, admin.TabularInline):
    model = Fee
    extra = 0


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(ProvincialAdminMixin, admin.ModelAdmin):
    list_display = ["procedure", "version", "effective_from", "effective_to", "postal_allowed"]
    list_filter = ["postal_allowed", "time_unit"]
    search_fields = ["procedure__name", "procedure__code"]
    autocomplete_fields = ["procedure"]
    inlines = [RequiredDocumentInline, FeeInline]


class TariffBandInline(ProvincialAdminMixin, admin.TabularInline):
    model = TariffBand
    extra = 0


@admin.register(PostalTariff)
class PostalTariffAdmin(ProvincialAdminMixin, admin.ModelAdmin):
    list_display = ["name", "province", "valid_from", "remittance_fee", "is_demo"]
    inlines = [TariffBandInline]


@admin.register(ExemptCategory)
class ExemptCategoryAdmin(ProvincialAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "active"]
