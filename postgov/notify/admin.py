from django.contrib import admin

from postgov.identity.admin import ProvincialAdminMixin
from postgov.notify.models import Message


@admin.register(Message)
class MessageAdmin(ProvincialAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "channel", "template", "status", "attempts", "sent_at"]
    list_filter = ["channel", "status", "template"]
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
