from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueuesConfig(AppConfig):
    name = "postgov.queues"
    verbose_name = _("Queues and appointments")
    # The modules that change this app's records' state (tests/test_one_write_path.py).
    action_modules = ("actions",)
