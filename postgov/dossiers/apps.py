from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "postgov.dossiers"
    verbose_name = _("Dossiers")
    # The modules that change this app's records' state (tests/test_one_write_path.py);
    # `carriage.manifests` also moves the manifests it drives, the post's records.
    action_modules = (
        "actions",
        "agency.actions",
        "carriage.manifests",
        "intake.drafts",
        "intake.sealing",
        "legs",
        "linked.actions",
        "orders.actions",
    )

    def ready(self):
        # Models load once the app registry is ready, not with this module.
        from postgov.agencies.models import Agency, CalendarAdjustment, Competence
        from postgov.audit import registry as audit
        from postgov.catalog.models import (
            Fee,
            PostalTariff,
            Procedure,
            ProcedureVersion,
            RequiredDocument,
            TariffBand,
        )
        from postgov.dossiers import actions, audit_codes, citizen_notices, clock, legs
        from postgov.dossiers.linked import actions as linked
        from postgov.dossiers.orders import actions as order_actions
        from postgov.dossiers.orders import notices as order_notices
        from postgov.dossiers.orders.workflow import BY_ACTION as ORDER_STEPS
        from postgov.dossiers.workflow import BY_ACTION, State
        from postgov.lib import refcache
        from postgov.places.models import Commune, Province, ServicePoint

        # Rules every transition follows, whoever performs it: the legal clock,
        # the per-leg service levels and the citizen's SMS.
        actions.BEFORE_SAVE.register(clock.clock_rule, order=10)
        actions.AFTER_TRANSITION.register(legs.track_legs, order=10)
        actions.AFTER_TRANSITION.register(citizen_notices.notify_citizen, order=20)
        # The recipient of a postal order's result hears of the same steps.
        order_actions.AFTER_ORDER_STEP.register(order_notices.notify_recipient, order=20)
        # A linked package's parts start, close and come back together (decision 0024).
        actions.BEFORE_SAVE.register(linked.return_rule, order=20)
        actions.AFTER_TRANSITION.register(linked.after_part_step, order=25)
        # A delivered result asks the citizen to rate how the dossier was handled.
        actions.AFTER_TRANSITION.register(actions.ask_for_rating, order=22)
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
            Province,
            Commune,
            ServicePoint,
        )
        # What the audit trail, below this app, says of its steps and states and how it
        # finds a dossier's events by its code.
        audit.register_step_labels("dossier", {a: t.label for a, t in BY_ACTION.items()})
        audit.register_step_labels("order", {a: s.label for a, s in ORDER_STEPS.items()})
        audit.register_value_labels(
            ("from", "to", "status", "previous", "target"), dict(State.choices)
        )
        audit.register_code_finder(audit_codes.dossier_coded)
