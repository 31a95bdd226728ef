from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "postgov.identity"
    verbose_name = _("Identity and access")
    # The modules that change this app's records' state (tests/test_one_write_path.py).
    action_modules = ("actions", "proofing", "oidc.keys")

    def ready(self) -> None:
        # Models and receivers load once the app registry is ready, not with this module.
        from postgov.audit import registry as audit
        from postgov.identity import signals  # noqa: F401  (login audit receivers)
        from postgov.identity.models import Role, RoleAssignment
        from postgov.lib import refcache

        # `Access.for_user` keeps role assignments with the reference data.
        refcache.watch(RoleAssignment)
        # The audit trail, below this app, names the roles its events record.
        audit.register_value_labels(("role",), dict(Role.choices))
