"""The ready schemas shipped as data files (`data/*.json`): a population register,
health-insurance households and social-insurance files. A new project starts from one."""

from __future__ import annotations

import json
from pathlib import Path

from django.db.models.signals import post_save
from django.dispatch import receiver

from postgov.registers.fields import check_schema
from postgov.registers.models import SchemaVersion, localised

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


# The fields of the schema versions this process has read, by version id. A version in use
# never changes (changing it makes a new version), and only versions in use are read here,
# through their records; so each field save and each keying page reads them from memory,
# not from the database. A version saved again (an unused one changed in place, or an id
# met again after a rolled-back transaction) is forgotten on save.
_FIELDS: dict[int, list[dict]] = {}
_MOST_VERSIONS = 256


def fields_of(version_id: int) -> list[dict]:
    """The fields of schema version `version_id` (not to be changed by the caller)."""
    found = _FIELDS.get(version_id)
    if found is None:
        found = SchemaVersion.objects.values_list("fields", flat=True).get(pk=version_id)
        if len(_FIELDS) >= _MOST_VERSIONS:
            _FIELDS.clear()
        _FIELDS[version_id] = found
    return found


@receiver(post_save, sender=SchemaVersion, dispatch_uid="registers.forget_schema_version")
def _forget(sender, instance: SchemaVersion, **kwargs) -> None:
    _FIELDS.pop(instance.pk, None)
