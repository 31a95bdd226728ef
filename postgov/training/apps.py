from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "postgov.training"
    verbose_name = _("Training")
    # The modules that change this app's records' state (tests/test_one_write_path.py).
    action_modules = ("actions",)

    def ready(self):
        # Models load once the app registry is ready, not with this module.
        from postgov.dossiers.actions import AFTER_PRACTICE
        from postgov.training import actions

        # A trainee's practice seal is marked against the case's script as it happens.
        AFTER_PRACTICE.register(actions.mark_practice, order=10)
