from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "postgov.exchange"
    verbose_name = _("Exchange with outside systems")
    # The modules that change this app's records' state (tests/test_one_write_path.py).
    action_modules = ("portal", "webhooks", "integration")

    def ready(self):
        # Imported here, not at the top: models and the dossiers' registry are not ready
        # while the app registry loads this module.
        from postgov.dossiers import actions
        from postgov.dossiers.orders import actions as orders
        from postgov.exchange import portal, webhooks
        from postgov.exchange.models import WebhookEndpoint
        from postgov.lib import refcache

        # Agencies' systems and the national portal hear of every change of a dossier,
        # whoever makes it.
        actions.AFTER_TRANSITION.register(webhooks.queue_webhooks, order=30)
        actions.AFTER_TRANSITION.register(portal.queue_sync, order=40)
        # And of every step of a postal order; an order names a dossier the portal knows.
        orders.AFTER_ORDER_STEP.register(webhooks.queue_order_webhooks, order=30)
        orders.AFTER_ORDER_STEP.register(portal.queue_order_sync, order=40)
        orders.DOSSIER_CHECKS.register(portal.check_dossier, order=10)
        # Each change of a dossier reads the agency's webhook endpoints.
        refcache.watch(WebhookEndpoint)
