from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "postgov.agencies"
    verbose_name = _("Agencies")
    # Reference data, changed through the admin (tests/test_one_write_path.py).
    action_modules = ()

    def ready(self) -> None:
        # The places app lists, beside each post office it finds, what the office
        # receives; only the agencies' competence knows.
        from postgov.agencies.routing import procedures_received
        from postgov.places.nearby import POINT_PROCEDURES

        POINT_PROCEDURES.register(procedures_received, order=10)
        # Whether a post office is open now follows the province's swapped working days.
        from postgov.agencies.calendar import adjusted_days
        from postgov.places.nearby import ADJUSTED_DAYS

        ADJUSTED_DAYS.register(adjusted_days, order=10)
