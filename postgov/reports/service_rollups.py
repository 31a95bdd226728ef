"""The daily roll-ups beyond the dossiers' volumes: the service index parts
(models.DailyServiceIndex), the waiting rooms (DailyQueue), PostID at the counters
(DailyIdentity) and register digitisation (DailyDigitisation). Each day is recomputed
whole from the event logs and records and its rows replaced, as in `rollups.update_day`,
which calls `update_day` here in the same transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from postgov.dossiers.models import DossierEvent, DossierRating, ResultDocument, Scan
from postgov.dossiers.workflow import State
from postgov.identity.models import ProofingCase
from postgov.places.models import ServicePoint
from postgov.queues.figures import day_figures
from postgov.queues.models import TicketEvent
from postgov.registers.models import Keying, Project, Record
from postgov.reports.models import (
    WAIT_BOUNDS,
    DailyDigitisation,
    DailyIdentity,
    DailyQueue,
    DailyServiceIndex,
)
from postgov.reports.reconciliation import period_bounds

# A dossier is finished when the agency's result is ready or it refuses the dossier.
FINISHED = (State.RESULT_READY, State.REFUSED)
INDEX_FIGURES = (
    "finished",
    "finished_on_time",
    "finished_late",
    "received",
    "received_digitised",
    "results",
    "results_digitised",
    "ratings",
    "rating_sum",
)
PASSED = (ProofingCase.Status.PASSED, ProofingCase.Status.APPROVED)
FAILED = (ProofingCase.Status.FAILED, ProofingCase.Status.REJECTED)


def _dossier_key(prefix: str = "dossier__") -> dict[str, F]:
    return {
        "k_province": F(f"{prefix}province_id"),
        "k_point": F(f"{prefix}receiving_point_id"),
        "k_procedure": F(f"{prefix}procedure_version__procedure_id"),
        "k_agency": F(f"{prefix}agency_id"),
    }


def _key(row: Mapping[str, Any]) -> tuple:
    return (row["k_province"], row["k_point"], row["k_procedure"], row["k_agency"])


def compute_index(day: date) -> dict[tuple, dict[str, int]]:
    """{(province, point, procedure, agency): figures} of the dossiers of `day`."""
    start, end = period_bounds(day, day)
    lines: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(INDEX_FIGURES, 0))
    moved = DossierEvent.objects.filter(at__gte=start, at__lt=end, dossier__practice=False).exclude(
        from_status=F("to_status")
    )
    # Progress: finished by the legal due date as it stands (no due date: nothing to be
    # late against, on time).
    late = Q(dossier__due_at__isnull=False, at__gt=F("dossier__due_at"))
    finished = (
        moved.filter(to_status__in=FINISHED)
        .values(**_dossier_key())
        .annotate(n=Count("id"), n_late=Count("id", filter=late))
        .order_by()
    )
    for row in finished:
        line = lines[_key(row)]
        line["finished"] += row["n"]
        line["finished_late"] += row["n_late"]
        line["finished_on_time"] += row["n"] - row["n_late"]
    # Digitised at intake: a scan of the dossier uploaded no later than its sealing.
    scanned = Scan.objects.filter(dossier=OuterRef("dossier_id"), uploaded_at__lte=OuterRef("at"))
    received = (
        moved.filter(to_status=State.SEALED)
        .annotate(scanned=Exists(scanned))
        .values(**_dossier_key())
        .annotate(n=Count("id"), n_scanned=Count("id", filter=Q(scanned=True)))
        .order_by()
    )
    for sealed in received:
        line = lines[_key(sealed)]
        line["received"] += sealed["n"]
        line["received_digitised"] += sealed["n_scanned"]
    # Results digitised: a result ready with a scanned result document (a file).
    result_file = ResultDocument.objects.filter(dossier=OuterRef("dossier_id")).exclude(file="")
    results = (
        moved.filter(to_status=State.RESULT_READY)
        .annotate(with_file=Exists(result_file))
        .values(**_dossier_key())
        .annotate(n=Count("id"), n_file=Count("id", filter=Q(with_file=True)))
        .order_by()
    )
    for result in results:
        line = lines[_key(result)]
        line["results"] += result["n"]
        line["results_digitised"] += result["n_file"]
    # Satisfaction: the citizens' ratings given on the day, by the dossier's agency.
    rated = (
        DossierRating.objects.filter(
            rated_at__gte=start, rated_at__lt=end, stars__isnull=False, dossier__practice=False
        )
        .values(**_dossier_key())
        .annotate(n=Count("id"), stars=Sum("stars"))
        .order_by()
    )
    for rating in rated:
        line = lines[_key(rating)]
        line["ratings"] += rating["n"]
        line["rating_sum"] += rating["stars"] or 0
    return dict(lines)


def compute_queues(day: date) -> dict[int, dict[str, Any]]:
    """{point: figures} of the waiting rooms that issued a ticket on `day`."""
    points = (
        TicketEvent.objects.filter(day=day, kind=TicketEvent.Kind.ARRIVED)
        .values_list("service_point_id", flat=True)
        .distinct()
        .order_by()
    )
    result = {}
    for point_id in points:
        total = day_figures(point_id, day)[None]
        within = dict.fromkeys(WAIT_BOUNDS, 0)
        for wait in total.waits:
            bound = next((b for b in WAIT_BOUNDS if wait <= b), None)
            if bound is not None:
                within[bound] += 1
        result[point_id] = {
            "issued": total.issued,
            "served": total.served,
            "no_shows": total.no_shows,
            "called": len(total.waits),
            "wait_minutes": round(sum(total.waits), 3),
            **{f"waits_{bound}": n for bound, n in within.items()},
            "within_target": total.within_target,
            "ratings": len(total.ratings),
            "rating_sum": sum(total.ratings),
        }
    return result


def compute_identity(day: date) -> dict[int, dict[str, int]]:
    """{point: figures} of the proofing cases decided on `day`."""
    start, end = period_bounds(day, day)
    rows = (
        ProofingCase.objects.filter(decided_at__gte=start, decided_at__lt=end)
        .values("service_point_id")
        .annotate(
            created=Count("id", filter=Q(kind=ProofingCase.Kind.ASSISTED, status__in=PASSED)),
            proofed=Count("id", filter=Q(status__in=PASSED)),
            failed=Count("id", filter=Q(status__in=FAILED)),
        )
        .order_by()
    )
    return {
        row["service_point_id"]: {
            "accounts_created": row["created"],
            "proofed": row["proofed"],
            "proofing_failed": row["failed"],
        }
        for row in rows
        if row["created"] or row["proofed"] or row["failed"]
    }


def compute_digitisation(day: date) -> dict[int, dict[str, int]]:
    """{project: figures}: entries submitted and records settled on `day`."""
    start, end = period_bounds(day, day)
    lines: dict[int, dict[str, int]] = defaultdict(lambda: {"keyed": 0, "settled": 0})
    keyed = (
        Keying.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
        .values("record__project_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in keyed:
        lines[row["record__project_id"]]["keyed"] += row["n"]
    settled = (
        Record.objects.filter(settled_at__gte=start, settled_at__lt=end)
        .values("project_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for settled_row in settled:
        lines[settled_row["project_id"]]["settled"] += settled_row["n"]
    return dict(lines)


def update_day(day: date) -> int:
    """Replace `day`'s rows (inside the caller's transaction); the number of rows."""
    index = compute_index(day)
    queues = compute_queues(day)
    identity = compute_identity(day)
    digitisation = compute_digitisation(day)
    province_of = dict(
        ServicePoint.objects.filter(pk__in=set(queues) | set(identity)).values_list(
            "pk", "commune__province_id"
        )
    )
    for model in (DailyServiceIndex, DailyQueue, DailyIdentity, DailyDigitisation):
        model.objects.filter(day=day).delete()
    DailyServiceIndex.objects.bulk_create(
        DailyServiceIndex(
            day=day,
            province_id=key[0],
            point_id=key[1],
            procedure_id=key[2],
            agency_id=key[3],
            **figures,
        )
        for key, figures in index.items()
    )
    DailyQueue.objects.bulk_create(
        DailyQueue(day=day, province_id=province_of[point], point_id=point, **figures)
        for point, figures in queues.items()
    )
    DailyIdentity.objects.bulk_create(
        DailyIdentity(day=day, province_id=province_of[point], point_id=point, **figures)
        for point, figures in identity.items()
    )
    projects = dict(
        Project.objects.filter(pk__in=list(digitisation)).values_list("pk", "province_id")
    )
    DailyDigitisation.objects.bulk_create(
        DailyDigitisation(day=day, province_id=projects[project], project_id=project, **figures)
        for project, figures in digitisation.items()
    )
    return len(index) + len(queues) + len(identity) + len(digitisation)


def first_day() -> date | None:
    """The first day with a ticket, a proofing decision or an entry (the dossiers' first
    event is `rollups.first_day`)."""
    firsts = [
        TicketEvent.objects.order_by("day").values_list("day", flat=True).first(),
        *(
            timezone.localdate(at) if at else None
            for at in (
                ProofingCase.objects.exclude(decided_at=None)
                .order_by("decided_at")
                .values_list("decided_at", flat=True)
                .first(),
                Keying.objects.exclude(submitted_at=None)
                .order_by("submitted_at")
                .values_list("submitted_at", flat=True)
                .first(),
            )
        ),
    ]
    days = [day for day in firsts if day is not None]
    return min(days) if days else None
