from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatemailConfig(AppConfig):
    name = "postgov.statemail"
    verbose_name = _("Confidential State mail")
    # The modules that change this app's records' state (tests/test_one_write_path.py).
    action_modules = ("actions",)

    def ready(self) -> None:
        # Models load once the app registry is ready, not with this module.
        from postgov.audit import registry as audit
        from postgov.lib import refcache
        from postgov.statemail import labels
        from postgov.statemail.models import Clearance

        # The audit trail, below this app, reads this app's steps and codes in words.
        audit.register_step_labels("statemail", labels.STEP_LABELS)
        audit.register_value_labels(("level",), labels.LEVEL_LABELS)
        # The menu reads who holds a clearance from the per-process cache.
        refcache.watch(Clearance)
