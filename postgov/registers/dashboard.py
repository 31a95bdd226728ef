"""The project manager's dashboard: where the records of each batch stand, how fast and how
well the operators key, the duplicate queue and the recognised pages. Read-only, a few
grouped queries whatever the project's size; each figure is a chart drawn on the server
(`lib/charts.py`) with its table beside it (the view and template).

Where a record stands: not keyed (no entry submitted), keyed once, keyed twice (both
entries in, waiting for agreement or the verifier), settled (a record merged into another
included), exported. An export takes every clean settled record at the time it runs
(`exports.run_export`), so a clean record counts as exported when it settled before the
start of the latest finished export."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from postgov.lib import charts
from postgov.registers import dedup_actions, stats
from postgov.registers.models import (
    Batch,
    DuplicateCandidate,
    FieldCounter,
    Job,
    Keying,
    Page,
    PageText,
    Project,
    Record,
    localised,
)

STAGES = ("not_keyed", "keyed_once", "keyed_twice", "settled", "exported")
# A project with more batches than this shows the latest ones (the table says so).
MOST_BATCHES = 30


def stage_labels() -> dict[str, str]:
    return {
        "not_keyed": _("Not keyed"),
        "keyed_once": _("Keyed once"),
        "keyed_twice": _("Keyed twice"),
        "settled": _("Settled"),
        "exported": _("Exported"),
    }


@dataclass
class BatchProgress:
    label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def cells(self) -> list[int]:
        return [self.counts[s] for s in STAGES]


@dataclass
class Rate:
    name: str
    compared: int
    errors: int

    @property
    def percent(self) -> float | None:
        return 100 * self.errors / self.compared if self.compared else None


@dataclass
class Dashboard:
    batches: list[BatchProgress]
    more_batches: bool
    operators: list[stats.OperatorFigures]
    fields: list[Rate]
    operator_errors: list[Rate]
    duplicates: dict[str, int]
    pages: int
    pages_read: int
    last_export: Job | None

    @property
    def totals(self) -> list[int]:
        return [sum(b.counts[s] for b in self.batches) for s in STAGES]


def _batch_progress(project: Project, exported_before) -> tuple[list[BatchProgress], bool]:
    batches = list(
        Batch.objects.filter(project=project).order_by("-created_at", "-pk")[: MOST_BATCHES + 1]
    )
    more = len(batches) > MOST_BATCHES
    batches = list(reversed(batches[:MOST_BATCHES]))
    progress = {b.pk: BatchProgress(b.label) for b in batches}
    # Entries submitted, per record: a subquery, so that records group by it.
    submitted = Subquery(
        Keying.objects.filter(record=OuterRef("pk"), status=Keying.Status.SUBMITTED)
        .values("record")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )
    keying = (
        Record.objects.filter(batch__in=progress, status=Record.Status.KEYING)
        .annotate(n=Coalesce(submitted, Value(0)))
        .values("batch", "n")
        .annotate(records=Count("pk"))
        .order_by()
    )
    for row in keying:
        stage = STAGES[min(row["n"], 2)]
        progress[row["batch"]].counts[stage] += row["records"]
    waiting = (
        Record.objects.filter(batch__in=progress, status=Record.Status.ADJUDICATION)
        .values("batch")
        .annotate(records=Count("pk"))
        .order_by()
    )
    for adjudicating in waiting:
        progress[adjudicating["batch"]].counts["keyed_twice"] += adjudicating["records"]
    # A record merged into another stays settled here (the batch's count stays whole);
    # only the clean register is exported.
    settled = (
        Record.objects.filter(batch__in=progress, status=Record.Status.SETTLED)
        .values("batch")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for settled_row in settled:
        progress[settled_row["batch"]].counts["settled"] += settled_row["n"]
    if exported_before is not None:
        exported = (
            dedup_actions.clean_records(project)
            .filter(batch__in=progress, settled_at__lt=exported_before)
            .values("batch")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for exported_row in exported:
            counts = progress[exported_row["batch"]].counts
            counts["settled"] -= exported_row["n"]
            counts["exported"] += exported_row["n"]
    return [progress[b.pk] for b in batches], more


def _error_rates(project: Project) -> tuple[list[Rate], list[Rate]]:
    """Per field (all operators) and per operator (all fields): errors found over fields
    compared."""
    schema = project.current_schema()
    labels = {f["key"]: localised(f["label"]) for f in (schema.fields if schema else [])}
    counters = FieldCounter.objects.filter(project=project).exclude(field_key="")
    by_field = {
        row["field_key"]: row
        for row in counters.values("field_key").annotate(c=Sum("compared"), e=Sum("errors"))
    }
    order = list(labels) + sorted(set(by_field) - set(labels))
    fields = [
        Rate(labels.get(key, key), by_field[key]["c"], by_field[key]["e"])
        for key in order
        if key in by_field
    ]
    operators = [
        Rate(row["operator__full_name"] or row["operator__username"], row["c"], row["e"])
        for row in counters.values("operator", "operator__username", "operator__full_name")
        .annotate(c=Sum("compared"), e=Sum("errors"))
        .order_by("operator__username")
    ]
    return fields, operators


def figures(project: Project) -> Dashboard:
    last_export = (
        Job.objects.filter(project=project, kind=Job.Kind.EXPORT, state=Job.State.DONE)
        .order_by("-started_at", "-pk")
        .first()
    )
    batches, more = _batch_progress(project, last_export.started_at if last_export else None)
    fields, operator_errors = _error_rates(project)
    duplicates = dict.fromkeys(DuplicateCandidate.Status.values, 0)
    for row in (
        DuplicateCandidate.objects.filter(project=project).values("status").annotate(n=Count("pk"))
    ):
        duplicates[row["status"]] = row["n"]
    pages = Page.objects.filter(record__project=project)
    return Dashboard(
        batches=batches,
        more_batches=more,
        operators=stats.operator_totals(project),
        fields=fields,
        operator_errors=operator_errors,
        duplicates=duplicates,
        pages=pages.count(),
        pages_read=PageText.objects.filter(page__record__project=project).count(),
        last_export=last_export,
    )


# -- the charts -----------------------------------------------------------------------------


def progress_chart(board: Dashboard):
    labels = stage_labels()
    return charts.stacked_bar_chart(
        _("Records of each batch by stage"),
        [b.label for b in board.batches],
        [(labels[s], [b.counts[s] for b in board.batches]) for s in STAGES],
    )


def speed_chart(board: Dashboard):
    return charts.bar_chart(
        _("Records per hour of keying, by operator"),
        [
            charts.Point(_short(o.name, len(board.operators)), o.records_per_hour)
            for o in board.operators
        ],
    )


def _short(name: str, points: int) -> str:
    """A label that fits under its bar (about 6 pixels a letter); the table beside the
    chart has the whole name."""
    room = max(4, int((charts.WIDTH - charts.LEFT - charts.RIGHT) / max(points, 1) / 6.5))
    return name if len(name) <= room else name[: room - 1] + "…"


def rate_chart(title: str, rates: list[Rate]):
    return charts.bar_chart(
        title,
        [charts.Point(_short(r.name, len(rates)), r.percent) for r in rates],
        suffix=" %",
        decimals=1,
    )


def duplicates_chart(board: Dashboard):
    return charts.bar_chart(
        _("Possible duplicates"),
        [
            charts.Point(str(DuplicateCandidate.Status(s).label), n)
            for s, n in board.duplicates.items()
        ],
    )


def pages_chart(board: Dashboard):
    return charts.bar_chart(
        _("Pages with recognised text"),
        [
            charts.Point(_("Pages"), board.pages),
            charts.Point(_("Text recognised"), board.pages_read),
        ],
    )


def all_charts(board: Dashboard) -> dict[str, object]:
    return {
        "progress": progress_chart(board),
        "speed": speed_chart(board),
        "field_errors": rate_chart(_("Errors per field, per 100 fields compared"), board.fields),
        "operator_errors": rate_chart(
            _("Errors per operator, per 100 fields compared"), board.operator_errors
        ),
        "duplicates": duplicates_chart(board),
        "pages": pages_chart(board),
    }
