"""What intake reads from the catalog: the version in force, procedure search, the tariff.

The catalog app owns these functions (`postgov.catalog.queries`, `postgov.catalog.tariffs`);
this module only gathers what intake needs from them in one place.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Count, QuerySet, prefetch_related_objects
from django.utils import timezone

from postgov.catalog import queries
from postgov.catalog.models import PostalTariff, Procedure, ProcedureVersion
from postgov.catalog.queries import search_procedures, with_version_in_force
from postgov.catalog.tariffs import TariffError, postal_charge, tariff_in_force
from postgov.lib import refcache

__all__ = [
    "TariffError",
    "frequent_procedures",
    "postal_charge",
    "procedure_choices",
    "cached_version_in_force",
    "tariff_for",
]

FREQUENT_COUNT = 8
FREQUENT_CACHE_SECONDS = 600


def procedure_choices(query: str = "", limit: int = 20) -> list[Procedure]:
    """Procedures with a version in force matching `query` (diacritic-insensitive), each
    annotated with `current_version_id` and `current_postal_allowed`."""
    found = with_version_in_force(search_procedures(query)).filter(current_version_id__isnull=False)
    return list(found.order_by("name")[:limit])


def procedures_in_force_by_post() -> QuerySet[Procedure]:
    """Procedures that may go by post today, for the public pickup booking."""
    return (
        with_version_in_force(Procedure.objects.all())
        .filter(current_version_id__isnull=False, current_postal_allowed=True)
        .order_by("field", "name")
    )


def procedure_choices_by_ids(ids: list[int]) -> list[Procedure]:
    return list(with_version_in_force(Procedure.objects.filter(pk__in=ids)))


def frequent_procedures(point_id: int) -> list[Procedure]:
    """This point's most frequent procedures of the last 60 days (cached for ten minutes
    in the shared cache), topped up with others in force so the list is never empty.
    Practice dossiers of the training mode do not count."""
    key = f"intake:frequent:{point_id}"
    ids = cache.get(key)
    if ids is None:
        since = timezone.now() - timedelta(days=60)
        ids = list(
            ProcedureVersion.objects.filter(
                dossiers__receiving_point_id=point_id,
                dossiers__created_at__gte=since,
                dossiers__practice=False,
            )
            .values("procedure_id")
            .annotate(n=Count("dossiers"))
            .order_by("-n")
            .values_list("procedure_id", flat=True)[:FREQUENT_COUNT]
        )
        cache.set(key, ids, FREQUENT_CACHE_SECONDS)
    in_force = with_version_in_force(Procedure.objects.all()).filter(
        current_version_id__isnull=False
    )
    chosen = {p.pk: p for p in in_force.filter(pk__in=ids)}
    result: list[Procedure] = [chosen[pk] for pk in ids if pk in chosen]
    if len(result) < FREQUENT_COUNT:
        others = in_force.exclude(pk__in=ids).filter(current_postal_allowed=True).order_by("name")
        result += list(others[: FREQUENT_COUNT - len(result)])
    return result


def cached_version_in_force(procedure: Procedure | int, on: date | None = None):
    """`postgov.catalog.queries.version_in_force` kept in the process's reference data
    (`postgov.lib.refcache`), with its procedure, checklist and fees prefetched: one shared
    object, read-only, for intake's many reads. Whoever changes a version reads it fresh
    through `queries.version_in_force` instead."""
    procedure_id = procedure.pk if isinstance(procedure, Procedure) else procedure
    on = queries.as_local_date(on)

    def load():
        version = queries.version_in_force(procedure_id, on)
        if version is not None:
            prefetch_related_objects([version], "procedure", "documents", "fees")
        return version

    return refcache.get("catalog.version_in_force", (procedure_id, on), load)


def tariff_for(province, on: date | None = None) -> PostalTariff | None:
    """The tariff in force with its bands (both legs read them), from the process's
    reference data (read-only)."""
    on = on or timezone.localdate()
    province_id = getattr(province, "pk", province)

    def load():
        tariff = tariff_in_force(province_id, on)
        if tariff is not None:
            prefetch_related_objects([tariff], "bands")
        return tariff

    return refcache.get("catalog.tariff_for", (province_id, on), load)
