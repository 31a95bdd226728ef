from django.contrib import admin

from postgov.assisted.models import AssistanceTariff
from postgov.identity.admin_scope import ScopedAdmin


@admin.register(AssistanceTariff)
class AssistanceTariffAdmin(ScopedAdmin, admin.ModelAdmin):
    """Like the postal tariff: a province's is its administrators'; a nationwide one (no
    province) is read by all and changed by national administrators."""

    province_path = "province"
    nationwide_rows = True
    list_display = ["name", "province", "valid_from", "amount", "amount_not_possible"]
    list_filter = ["province"]
    autocomplete_fields = ["province"]
