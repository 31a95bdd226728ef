from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "postgov.agencies"
    verbose_name = _("Agencies")
    # The modules that change this app's records' state (tests/test_one_write_path.py).
    action_modules = ("portal", "webhooks", "integration")

    def ready(self):
        # Agencies' systems and the national portal hear of every change of a dossier,
        # whoever makes it.
        from postgov.agencies import portal, webhooks
        from postgov.dossiers import actions

        actions.AFTER_TRANSITION.register(webhooks.queue_webhooks, order=30)
        actions.AFTER_TRANSITION.register(portal.queue_sync, order=40)
