from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def register(hooks: list, fn) -> None:
    if fn not in hooks:
        hooks.append(fn)


class DossiersConfig(AppConfig):
    name = "postgov.dossiers"
    verbose_name = _("Dossiers")

    def ready(self):
        # Rules every transition follows, whoever performs it (issue 4): the legal clock,
        # the per-leg service levels and the citizen's SMS.
        from postgov.dossiers import actions, citizen_notices, clock, legs

        register(actions.BEFORE_SAVE, clock.clock_rule)
        register(actions.AFTER_TRANSITION, legs.track_legs)
        register(actions.AFTER_TRANSITION, citizen_notices.notify_citizen)
