"""Every change made through Django's admin is also written to the audit trail."""

from django.contrib.admin.models import LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from postgov.audit.actions import record

_ADMIN_ACTIONS = {1: "admin.add", 2: "admin.change", 3: "admin.delete"}


@receiver(post_save, sender=LogEntry, dispatch_uid="audit_admin_log_entry")
def audit_admin_change(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    if not created:
        return
    model = instance.content_type.model_class() if instance.content_type else None
    record(
        _ADMIN_ACTIONS.get(instance.action_flag, "admin.other"),
        actor=instance.user,
        object_type=model._meta.label_lower if model else "",
        object_id=instance.object_id or "",
        details={"repr": instance.object_repr[:200], "change": instance.get_change_message()},
    )
