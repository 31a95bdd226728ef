from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "postgov.agencies"
    verbose_name = _("Agencies")
