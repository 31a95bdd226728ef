from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "postgov.notify"
    verbose_name = _("Notifications")
    # The modules that change this app's records' state (tests/test_one_write_path.py).
    action_modules = ("actions", "tasks")
