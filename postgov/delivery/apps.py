from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "postgov.delivery"
    verbose_name = _("Postal delivery")
    # The modules that change this app's records' state (tests/test_one_write_path.py).
    action_modules = ("actions",)

    def ready(self) -> None:
        # Models load once the app registry is ready, not with this module.
        from postgov.audit import registry as audit
        from postgov.delivery import audit_codes

        # The audit trail, below this app, finds a booking's or a manifest's events by code.
        audit.register_code_finder(audit_codes.delivery_coded)
