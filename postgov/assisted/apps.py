from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistedConfig(AppConfig):
    name = "postgov.assisted"
    verbose_name = _("Assisted online services")
    # The modules that change this app's records' state (tests/test_one_write_path.py).
    action_modules = ("actions",)

    def ready(self) -> None:
        # Models load once the app registry is ready, not with this module.
        from postgov.assisted import labels
        from postgov.audit import registry as audit

        # The audit trail, below this app, reads this app's steps and codes in words.
        audit.register_step_labels("assisted", labels.STEP_LABELS)
