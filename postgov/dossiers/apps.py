from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def register(hooks: list, fn) -> None:
    if fn not in hooks:
        hooks.append(fn)


class DossiersConfig(AppConfig):
    name = "postgov.dossiers"
    verbose_name = _("Dossiers")

    def ready(self):
        from postgov.agencies.models import Agency, CalendarAdjustment, Competence, WebhookEndpoint
        from postgov.catalog.models import (
            Fee,
            PostalTariff,
            Procedure,
            ProcedureVersion,
            RequiredDocument,
            TariffBand,
        )
        from postgov.dossiers import actions, citizen_notices, clock, legs
        from postgov.lib import refcache
        from postgov.places.models import Commune, Province, ServicePoint

        # Rules every transition follows, whoever performs it: the legal clock,
        # the per-leg service levels and the citizen's SMS.
        register(actions.BEFORE_SAVE, clock.clock_rule)
        register(actions.AFTER_TRANSITION, legs.track_legs)
        register(actions.AFTER_TRANSITION, citizen_notices.notify_citizen)
        # What intake and every transition read from the process's reference data.
        refcache.watch(
            Procedure,
            ProcedureVersion,
            RequiredDocument,
            Fee,
            PostalTariff,
            TariffBand,
            Agency,
            Competence,
            CalendarAdjustment,
            WebhookEndpoint,
            Province,
            Commune,
            ServicePoint,
        )
