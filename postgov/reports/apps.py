from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "postgov.reports"
    verbose_name = _("Reports")
    # The modules that change this app's records' state (tests/test_one_write_path.py).
    action_modules = ("rollups",)
