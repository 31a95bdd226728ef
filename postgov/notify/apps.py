from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "postgov.notify"
    verbose_name = _("Notifications")
    # The modules that change this app's records' state (tests/test_one_write_path.py).
    action_modules = ("actions", "tasks")

    def ready(self) -> None:
        # Models load once the app registry is ready, not with this module.
        from django_tasks_db.models import DBTaskResult

        from postgov.lib import compiled_saves

        # Every queued message writes one task row (`queue_message`).
        compiled_saves.use_for(DBTaskResult)
