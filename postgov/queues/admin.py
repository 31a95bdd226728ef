from django.contrib import admin

from postgov.identity.admin_scope import ScopedAdmin
from postgov.queues.models import Appointment, Counter, DisplayScreen, QueueService, Ticket


@admin.register(QueueService)
class QueueServiceAdmin(ScopedAdmin, admin.ModelAdmin):
    province_path = "service_point__commune__province"
    list_display = ["service_point", "letter", "kind", "target_minutes", "slot_capacity", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["service_point__name", "service_point__code"]
    autocomplete_fields = ["service_point"]


@admin.register(Counter)
class CounterAdmin(ScopedAdmin, admin.ModelAdmin):
    province_path = "service_point__commune__province"
    list_display = ["service_point", "number", "active"]
    search_fields = ["service_point__name", "service_point__code"]
    autocomplete_fields = ["service_point"]
    filter_horizontal = ["services"]


@admin.register(Ticket)
class TicketAdmin(ScopedAdmin, admin.ModelAdmin):
    """Written by the counters' actions; read here."""

    province_path = "service_point__commune__province"
    read_only = True
    list_display = ["label", "service_point", "day", "service", "state", "priority"]
    list_filter = ["state", "day"]
    exclude = ["token"]


@admin.register(Appointment)
class AppointmentAdmin(ScopedAdmin, admin.ModelAdmin):
    province_path = "service_point__commune__province"
    read_only = True
    list_display = ["code", "service_point", "service", "day", "starts_at", "state"]
    list_filter = ["state", "day"]
    exclude = ["token", "phone"]


@admin.register(DisplayScreen)
class DisplayScreenAdmin(ScopedAdmin, admin.ModelAdmin):
    """Made and revoked by the point's supervisors on their screens page."""

    province_path = "service_point__commune__province"
    read_only = True
    list_display = ["name", "service_point", "created_at", "revoked_at", "last_seen_at"]
    exclude = ["token_hash"]
