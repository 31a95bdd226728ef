"""The Quảng Trị demo: reference data, a demo network and one user per role.

Every step is idempotent (it looks rows up by their natural codes before creating them),
so `make run` may load the demo any number of times and nothing changes after the first.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

# Order matters: later steps point at rows created by earlier ones.
STEPS: tuple[str, ...] = (
    "postgov.places.demo",
    "postgov.catalog.demo",
    "postgov.agencies.demo",
    "postgov.identity.demo",
    "postgov.reports.demo",
    "postgov.dossiers.demo",
)


def load_demo(log: Callable[[str], None] = print) -> None:
    for module_name in STEPS:
        module = import_module(module_name)
        summary = module.load_demo()
        log(f"{module_name.split('.')[1]:>10}: {summary}")
