from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "postgov.ops"
    verbose_name = _("Operations")
    # Holds no records of its own: it backs up and restores the others' and counts them.
    action_modules = ("actions",)

    def ready(self) -> None:
        # Here, not at the top: the metrics module reads models, loaded only by now.
        from postgov.audit import registry
        from postgov.ops import metrics

        registry.register_step_labels(
            "ops",
            {
                "backup_made": _("Backup made"),
                "restored": _("Database restored from a backup"),
            },
        )
        metrics.connect_signals()
