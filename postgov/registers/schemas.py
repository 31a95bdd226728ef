"""The ready schemas shipped as data files (`data/*.json`): a population register,
health-insurance households and social-insurance files. A new project starts from one."""

from __future__ import annotations

import json
from pathlib import Path

from postgov.registers.fields import check_schema
from postgov.registers.models import localised

DATA = Path(__file__).resolve().parent / "data"
READY = ("population", "health_insurance", "social_insurance")


def ready_schema(name: str) -> dict:
    """{"kind", "name", "fields"} of a shipped schema; KeyError for an unknown name."""
    if name not in READY:
        raise KeyError(name)
    data = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    check_schema(data["fields"])
    return data


def choices() -> list[tuple[str, str]]:
    return [(name, localised(ready_schema(name)["name"])) for name in READY]
