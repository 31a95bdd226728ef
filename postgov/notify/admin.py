from django.contrib import admin
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from postgov.identity.admin_scope import ScopedAdmin
from postgov.notify.models import Message


@admin.register(Message)
class MessageAdmin(ScopedAdmin, admin.ModelAdmin):
    """The outbox of the whole country, for national administrators to look at. The text
    of a message that carried a secret (a code) is never shown: the row keeps only a
    redacted copy, and this page does not show even that."""

    read_only = True
    list_display = ["created_at", "channel", "template", "status", "attempts", "sent_at"]
    list_filter = ["channel", "status", "template"]
    exclude = ["body", "sealed_text"]

    def get_readonly_fields(self, request, obj=None):
        shown = [f.name for f in Message._meta.fields if f.name not in self.exclude]
        return [*shown, "text"]

    @admin.display(description=_("text"))
    def text(self, obj: Message) -> str | Promise:
        if obj.carries_secret:
            return _("(hidden: this message carried a one-time code)")
        return obj.body
