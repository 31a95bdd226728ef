"""Names of the places and agencies a breakdown is read by.

Breakdowns are read by id (grouping by integers is a hash in the database; by names, a
sort of every row) and shown by name, from the process's reference data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from django.db import models

from postgov.agencies.models import Agency
from postgov.lib import refcache
from postgov.places.models import Province, ServicePoint

NAMED: dict[str, type[models.Model]] = {
    "province_id": Province,
    "point_id": ServicePoint,
    "agency_id": Agency,
}


def names_of(key: str, ids: Iterable[object]) -> dict[object, str | None]:
    model = NAMED.get(key)
    if model is None:  # read by name already
        return {value: cast(str | None, value) for value in ids}
    label = model._meta.label  # noqa: SLF001 - public Django API

    def load() -> dict[object, str]:
        return dict(model._default_manager.values_list("pk", "name"))  # noqa: SLF001

    names = refcache.get("reports.names", label, load)
    wanted = [value for value in ids if value is not None]
    if any(value not in names for value in wanted):  # made since the names were read
        names = load()
    return {value: None if value is None else names[value] for value in ids}
