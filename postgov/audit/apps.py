from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "postgov.audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from postgov.audit import signals  # noqa: F401  (admin changes are audited)
