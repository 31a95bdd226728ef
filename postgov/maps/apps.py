from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MapsConfig(AppConfig):
    name = "postgov.maps"
    verbose_name = _("Maps")
    # Holds no records: the base map is a setting and a file.
    action_modules = ()
