from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "postgov.agencies"
    verbose_name = _("Agencies")
    # Reference data, changed through the admin (tests/test_one_write_path.py).
    action_modules = ()
