"""Which agency processes a procedure for a place, and who may receive it.

Since 1 July 2025 any service centre in the province may receive a dossier whatever the
applicant's address; competence (who processes) still depends on the procedure and, for
commune-level procedures, on the commune.
"""

from __future__ import annotations

from django.db.models import Case, Exists, IntegerField, OuterRef, QuerySet, Value, When

from postgov.agencies.models import Agency, Competence
from postgov.catalog.catalog_access import procedures_in_force_by_post
from postgov.places.models import ServicePoint


def competent_agencies(procedure, commune) -> QuerySet[Agency]:
    """Agencies competent for `procedure` at `commune`: those named for that commune first,
    then those competent for the whole province."""
    mine = Competence.objects.filter(agency=OuterRef("pk"), procedure=procedure)
    for_commune = Exists(mine.filter(commune=commune))
    for_province = Exists(mine.filter(province=commune.province_id, commune__isnull=True))
    return (
        Agency.objects.filter(active=True)
        .filter(for_commune | for_province)
        .annotate(
            rank=Case(
                When(for_commune, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("rank", "name")
    )


def proposed_agency(procedure, commune) -> Agency | None:
    return competent_agencies(procedure, commune).first()


def receiving_centres(province) -> QuerySet[Agency]:
    """Public Administration Service Centres of the province (any of them may receive)."""
    return Agency.objects.filter(
        active=True, province=province, desk_kind=Agency.DeskKind.SERVICE_CENTRE
    ).order_by("level", "name")


def receiving_points(procedure):
    """Post offices where a dossier of `procedure` can be handed in: the active service
    points of every province where an active agency is competent for it (any point of the
    province receives; intake routes by the applicant's commune)."""
    provinces = Competence.objects.filter(procedure=procedure, agency__active=True).values(
        "province_id"
    )
    return ServicePoint.objects.filter(active=True, commune__province_id__in=provinces)


def procedures_received(province_ids: set[int]) -> dict[int, list[tuple[str, str]]]:
    """{province id: [(code, name), ...]}: the procedures any post office of those
    provinces receives (one that may go by post today, an active agency competent there),
    by name. The "find a post office" page hangs this on `places.nearby.POINT_PROCEDURES`."""
    postal = procedures_in_force_by_post().order_by().values("pk")
    rows = (
        Competence.objects.filter(
            province_id__in=province_ids, agency__active=True, procedure__in=postal
        )
        .values_list("province_id", "procedure__code", "procedure__name")
        .order_by("province_id", "procedure__name", "procedure__code")
        .distinct()
    )
    received: dict[int, list[tuple[str, str]]] = {}
    for province_id, code, name in rows:
        received.setdefault(province_id, []).append((code, name))
    return received
