from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "postgov.agencies"
    verbose_name = _("Agencies")

    def ready(self):
        # Agencies' systems and the national portal hear of every change of a dossier,
        # whoever makes it.
        from postgov.agencies import portal, webhooks
        from postgov.dossiers import actions

        for hook in (webhooks.queue_webhooks, portal.queue_sync):
            if hook not in actions.AFTER_TRANSITION:
                actions.AFTER_TRANSITION.append(hook)
