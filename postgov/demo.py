"""The Quảng Trị demo: reference data, a demo network and one user per role.

Every step is idempotent (it looks rows up by their natural codes before creating them),
so `make run` may load the demo any number of times and nothing changes after the first.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from django.conf import settings

# Order matters: later steps point at rows created by earlier ones.
STEPS: tuple[str, ...] = (
    "postgov.places.demo",
    "postgov.catalog.demo",
    "postgov.agencies.demo",
    "postgov.identity.demo",
    "postgov.queues.demo",
    "postgov.registers.demo",
    "postgov.reports.demo",
    "postgov.dossiers.demo",
    "postgov.assisted.demo",
)


class DemoRefused(Exception):
    """The demo was asked for outside development."""


def require_development() -> None:
    """The demo's accounts have one printed password and second factors derived from their
    names, the same in every installation: whoever reads the source could log in as any of
    them. So nothing of the demo is ever loaded or printed outside development."""
    if not settings.DEV:
        raise DemoRefused(
            f"Refused: the demo (well-known passwords and second factors) is for development "
            f"only, and this process runs as {settings.ENVIRONMENT} (POSTGOV_ENV). On a "
            f"developer's machine set POSTGOV_ENV=development (`make run` does)."
        )


def load_demo(log: Callable[[str], None] = print) -> None:
    require_development()
    for module_name in STEPS:
        module = import_module(module_name)
        summary = module.load_demo()
        log(f"{module_name.split('.')[1]:>10}: {summary}")
