"""The manager's map: each service point in a person's scope with its open dossiers and its
overdue legs, counted in one query (correlated subqueries), never point by point."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from postgov.dossiers.clock import LATE, standing_filter
from postgov.dossiers.models import Dossier, LegRecord
from postgov.dossiers.workflow import STATES
from postgov.identity.models import POINT_ROLES, Role
from postgov.places.models import ServicePoint

MAP_ROLES = (Role.SUPERVISOR, Role.PROVINCIAL_ADMIN, Role.AUDITOR)
# More open dossiers than this at a point with nothing overdue still shows as busy.
BUSY = 20


@dataclass(frozen=True)
class PointLoad:
    point: ServicePoint
    open: int
    overdue: int

    @property
    def level(self) -> str:
        if self.overdue:
            return "late"
        return "busy" if self.open > BUSY else "ok"


def points_in_scope(access) -> QuerySet[ServicePoint]:
    condition = Q(pk__in=access.point_ids(Role.SUPERVISOR))
    if provinces := access.province_ids():
        condition |= Q(commune__province_id__in=provinces)
    return ServicePoint.objects.filter(condition, active=True)


def _count(queryset, owner: str) -> Coalesce:
    counted = (
        queryset.filter(**{owner: OuterRef("pk")})
        .order_by()
        .values(owner)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def point_loads(access, now: datetime) -> list[PointLoad]:
    open_states = [state for state, info in STATES.items() if not info.final]
    rows = (
        points_in_scope(access)
        .select_related("commune")
        .annotate(
            open_dossiers=_count(
                Dossier.objects.filter(status__in=open_states, practice=False), "receiving_point"
            ),
            overdue_legs=_count(
                LegRecord.objects.filter(standing_filter(LATE, now, {}), ended_at__isnull=True),
                "service_point",
            ),
        )
        .order_by("-overdue_legs", "-open_dossiers", "name")
    )
    return [PointLoad(row, row.open_dossiers, row.overdue_legs) for row in rows]


def day_urls(access, loads: list[PointLoad]) -> dict[int, str]:
    """The day page of each point: the post office's own for the people who work there,
    its read-only copy for the province's administrator or auditor (audited there)."""
    mine = access.point_ids(*POINT_ROLES)
    oversight = access.has_role(Role.PROVINCIAL_ADMIN, Role.AUDITOR)
    urls = {}
    for load in loads:
        if load.point.pk in mine:
            urls[load.point.pk] = f"{reverse('dossiers:today')}?point={load.point.pk}"
        elif oversight and access.oversees_province(load.point.commune.province_id):
            urls[load.point.pk] = reverse("dossiers:point_day", args=[load.point.pk])
    return urls


def markers(loads: list[PointLoad], urls: dict[int, str], describe) -> list[dict]:
    """`describe(load)`: the popup's line, in the page's language."""
    return [
        {
            "lat": load.point.latitude,
            "lon": load.point.longitude,
            "name": load.point.name,
            "detail": describe(load),
            "url": urls.get(load.point.pk, ""),
            "kind": "point",
            "level": load.level,
            "go": load.point.pk in urls,
        }
        for load in loads
        if load.point.latitude is not None and load.point.longitude is not None
    ]
