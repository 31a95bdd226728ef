"""The service figures of a period, from the daily roll-ups of `service_rollups`: PostID at
the counters, the waiting rooms, register digitisation and the service index parts, each
as tables by day (or month) and by point, agency or project, with a chart, and exports.

Every section is a `Table` (columns, rows, a total), so that the page, the CSV, the XLSX
and the monthly PDF show the same figures the same way."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q, QuerySet, Sum
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from postgov.catalog.models import Procedure
from postgov.identity.access import Access
from postgov.lib import charts
from postgov.places.models import Province, ServicePoint
from postgov.reports import months
from postgov.reports.models import (
    WAIT_BOUNDS,
    DailyDigitisation,
    DailyIdentity,
    DailyQueue,
    DailyServiceIndex,
)
from postgov.reports.scope import nationwide, scoped_rollups
from postgov.reports.volumes import DAILY_UP_TO

COUNT, SHARE, MINUTES, RATING = "count", "share", "minutes", "rating"
QUEUE_SUMS = (
    "issued",
    "served",
    "no_shows",
    "called",
    "wait_minutes",
    "within_target",
    "ratings",
    "rating_sum",
    *(f"waits_{bound}" for bound in WAIT_BOUNDS),
)
INDEX_SUMS = (
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


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str = COUNT


@dataclass
class Table:
    slug: str
    title: str
    first: str  # the heading of the first column (period, post office, agency...)
    columns: list[Column]
    rows: Sequence[tuple[str, Mapping[str, float | None]]]
    total: Mapping[str, float | None] | None = None
    chart: SafeString | None = None

    def cells(self, values: Mapping[str, float | None]) -> list[str]:
        return [show(values.get(c.name), c.kind) for c in self.columns]

    def lines(self) -> list[tuple[str, list[str]]]:
        lines = [(label, self.cells(values)) for label, values in self.rows]
        if self.total is not None:
            lines.append((_("Total"), self.cells(self.total)))
        return lines

    def raw(self, values: Mapping[str, float | None]) -> list:
        return ["" if values.get(c.name) is None else values[c.name] for c in self.columns]


def show(value: float | None, kind: str) -> str:
    """A figure as the page writes it: shares and means with one decimal (a comma, as in
    Vietnamese), "—" when there is nothing to measure."""
    if value is None:
        return "—"
    if kind == COUNT:
        return f"{value:,.0f}".replace(",", ".")
    if kind == MINUTES and value > WAIT_BOUNDS[-1]:
        return f"> {WAIT_BOUNDS[-1]}"
    text = f"{value:.1f}".replace(".", ",")
    return f"{text} %" if kind == SHARE else text


def share(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class ServiceReport:
    date_from: date
    date_to: date
    by_month: bool
    sections: list[Table] = field(default_factory=list)

    def section(self, slug: str) -> Table:
        return next(t for t in self.sections if t.slug == slug)


# -- reading the roll-ups ------------------------------------------------------------------


def _periods(date_from: date, date_to: date, by_month: bool) -> dict[date, str]:
    periods: dict[date, str] = {}
    day = date_from
    while day <= date_to:
        start = day.replace(day=1) if by_month else day
        periods.setdefault(start, f"{start:%m/%Y}" if by_month else f"{start:%d/%m}")
        day += timedelta(days=1)
    return periods


def _narrow(
    queryset: QuerySet,
    province: Province | None,
    point: ServicePoint | None,
    procedure: Procedure | None = None,
) -> QuerySet:
    narrow = Q()
    fields = {f.name for f in queryset.model._meta.get_fields()}
    if province is not None:
        narrow &= Q(province=province)
    if point is not None and "point" in fields:
        narrow &= Q(point=point)
    if procedure is not None and "procedure" in fields:
        narrow &= Q(procedure=procedure)
    return queryset.filter(narrow)


def _grouped(sources: list[QuerySet], by: str, sums: tuple[str, ...]) -> list[dict]:
    """The sums of the rows of every source (daily edges, whole months) by `by`."""
    merged: dict[object, dict] = {}
    for queryset in sources:
        for row in queryset.values(by).annotate(**{n: Sum(n) for n in sums}).order_by():
            target = merged.setdefault(row[by], {by: row[by], **dict.fromkeys(sums, 0)})
            for name in sums:
                target[name] += row[name] or 0
    return list(merged.values())


def _by_period(
    rows: list[dict], periods: dict[date, str], by_month: bool, sums: tuple[str, ...]
) -> dict[date, dict[str, float]]:
    out = {start: dict.fromkeys(sums, 0.0) for start in periods}
    for row in rows:
        start = row["day"].replace(day=1) if by_month else row["day"]
        for name in sums:
            out[start][name] += row[name] or 0
    return out


def _add(lines: list[dict[str, float]], sums: tuple[str, ...]) -> dict[str, float]:
    return {name: sum(line[name] for line in lines) for name in sums}


def queue_values(sums: dict[str, float]) -> dict[str, float | None]:
    called = sums["called"]
    p90 = None
    if called:
        seen = 0.0
        for bound in WAIT_BOUNDS:
            seen += sums[f"waits_{bound}"]
            if seen >= 0.9 * called:
                p90 = float(bound)
                break
        else:
            p90 = float(WAIT_BOUNDS[-1] + 1)  # longer than the last bound: "> 120"
    return {
        "issued": sums["issued"],
        "served": sums["served"],
        "no_shows": sums["no_shows"],
        "mean_wait": round(sums["wait_minutes"] / called, 1) if called else None,
        "p90_wait": p90,
        "within_target": share(sums["within_target"], called),
        "mean_rating": round(sums["rating_sum"] / sums["ratings"], 1) if sums["ratings"] else None,
    }


def index_values(
    sums: dict[str, float], rating: dict[str, float] | None = None
) -> dict[str, float | None]:
    values = {
        "finished": sums["finished"],
        "on_time": share(sums["finished_on_time"], sums["finished"]),
        "late": share(sums["finished_late"], sums["finished"]),
        "received_digitised": share(sums["received_digitised"], sums["received"]),
        "results_digitised": share(sums["results_digitised"], sums["results"]),
    }
    if rating is not None:
        values["satisfaction"] = (
            share(rating["rating_sum"], 5 * rating["ratings"]) if rating["ratings"] else None
        )
    return values


def service_report(
    access: Access,
    date_from: date,
    date_to: date,
    *,
    province: Province | None = None,
    point: ServicePoint | None = None,
    procedure: Procedure | None = None,
) -> ServiceReport:
    by_month = (date_to - date_from).days >= DAILY_UP_TO
    periods = _periods(date_from, date_to, by_month)
    report = ServiceReport(date_from, date_to, by_month)
    period_heading = _("Month") if by_month else _("Day")
    # The whole country is shown per province: thousands of post offices are no table.
    if nationwide(access) and province is None and point is None:
        place, place_heading = "province__name", _("Province")
        titles = {
            "identity": _("PostID per province"),
            "queues": _("Waiting rooms per province"),
            "index": _("Service index per province"),
        }
    else:
        place, place_heading = "point__name", _("Post office")
        titles = {
            "identity": _("PostID per post office"),
            "queues": _("Waiting rooms per post office"),
            "index": _("Service index per post office"),
        }

    def rows(model, procedure_too=False) -> list[QuerySet]:
        # By month, whole months are read from the monthly roll-ups.
        return [
            _narrow(
                scoped_rollups(access, source),
                province,
                point,
                procedure if procedure_too else None,
            )
            for source in months.sources(model, date_from, date_to, by_day=not by_month)
        ]

    # PostID at the counters.
    identity_sums = ("accounts_created", "proofed", "proofing_failed")
    identity = rows(DailyIdentity)
    per = _by_period(_grouped(identity, "day", identity_sums), periods, by_month, identity_sums)
    columns = [
        Column("accounts_created", _("Accounts created")),
        Column("proofed", _("Identities proofed")),
        Column("proofing_failed", _("Proofing failed")),
    ]
    table = Table(
        "identity",
        _("PostID at the counters"),
        period_heading,
        columns,
        [(periods[start], values) for start, values in per.items()],
        _add(list(per.values()), identity_sums),
    )
    table.chart = _bars(table, "proofed")
    report.sections.append(table)
    report.sections.append(
        _breakdown(
            "identity_points",
            titles["identity"],
            place_heading,
            columns,
            _grouped(identity, place, identity_sums),
            place,
            lambda sums: sums,
        )
    )

    # Waiting rooms.
    queues = rows(DailyQueue)
    per_q = _by_period(_grouped(queues, "day", QUEUE_SUMS), periods, by_month, QUEUE_SUMS)
    queue_columns = [
        Column("issued", _("Tickets issued")),
        Column("served", _("Served")),
        Column("no_shows", _("Did not come")),
        Column("mean_wait", _("Mean wait (min)"), MINUTES),
        Column("p90_wait", _("Wait, 90th percentile (min)"), MINUTES),
        Column("within_target", _("Called within the target"), SHARE),
        Column("mean_rating", _("Mean rating (1–5)"), RATING),
    ]
    table = Table(
        "queues",
        _("Waiting rooms"),
        period_heading,
        queue_columns,
        [(periods[start], queue_values(sums)) for start, sums in per_q.items()],
        queue_values(_add(list(per_q.values()), QUEUE_SUMS)),
    )
    table.chart = charts.bar_chart(
        _("Mean wait (min)"),
        [charts.Point(label, values["mean_wait"]) for label, values in table.rows],
    )
    report.sections.append(table)
    queue_points = _grouped(queues, place, QUEUE_SUMS)
    report.sections.append(
        _breakdown(
            "queue_points",
            titles["queues"],
            place_heading,
            queue_columns,
            queue_points,
            place,
            queue_values,
        )
    )

    # Register digitisation (by project: the point and procedure filters do not apply).
    digit_sums = ("keyed", "settled")
    digitisation = rows(DailyDigitisation)
    per_d = _by_period(_grouped(digitisation, "day", digit_sums), periods, by_month, digit_sums)
    digit_columns = [Column("keyed", _("Entries keyed")), Column("settled", _("Records settled"))]
    table = Table(
        "digitisation",
        _("Register digitisation"),
        period_heading,
        digit_columns,
        [(periods[start], values) for start, values in per_d.items()],
        _add(list(per_d.values()), digit_sums),
    )
    table.chart = _bars(table, "settled")
    report.sections.append(table)
    report.sections.append(
        _breakdown(
            "digitisation_projects",
            _("Register digitisation per project"),
            _("Project"),
            digit_columns,
            _grouped(digitisation, "project__name", digit_sums),
            "project__name",
            lambda sums: sums,
        )
    )

    # The service index parts.
    index = rows(DailyServiceIndex, procedure_too=True)
    per_i = _by_period(_grouped(index, "day", INDEX_SUMS), periods, by_month, INDEX_SUMS)
    index_columns = [
        Column("finished", _("Dossiers finished")),
        Column("on_time", _("Finished on time"), SHARE),
        Column("late", _("Finished late"), SHARE),
        Column("received_digitised", _("Scanned at intake"), SHARE),
        Column("results_digitised", _("Results digitised"), SHARE),
    ]
    table = Table(
        "index",
        _("Service index"),
        period_heading,
        index_columns,
        [(periods[start], index_values(sums)) for start, sums in per_i.items()],
        index_values(_add(list(per_i.values()), INDEX_SUMS)),
    )
    table.chart = charts.line_chart(
        _("Finished on time"),
        [charts.Point(label, values["on_time"]) for label, values in table.rows],
    )
    report.sections.append(table)
    ratings = {row[place]: row for row in queue_points}
    no_rating = dict.fromkeys(QUEUE_SUMS, 0.0)
    point_columns = [*index_columns, Column("satisfaction", _("Satisfaction"), SHARE)]
    index_points = _grouped(index, place, INDEX_SUMS)
    table = Table(
        "index_points",
        titles["index"],
        place_heading,
        point_columns,
        [
            (row[place], index_values(row, ratings.get(row[place], no_rating)))
            for row in sorted(index_points, key=lambda r: r[place])
        ],
    )
    table.chart = charts.bar_chart(
        _("Finished on time"),
        [charts.Point(label, values["on_time"]) for label, values in table.rows],
    )
    report.sections.append(table)
    # Per agency, satisfaction is the citizens' ratings of their delivered dossiers.
    table = _breakdown(
        "index_agencies",
        _("Service index per agency"),
        _("Agency"),
        point_columns,
        _grouped(index, "agency__name", INDEX_SUMS),
        "agency__name",
        lambda sums: index_values(sums, sums),
    )
    table.chart = _bars(table, "satisfaction")
    report.sections.append(table)
    return report


def _bars(table: Table, name: str) -> SafeString:
    label = next(c.label for c in table.columns if c.name == name)
    return charts.bar_chart(
        label, [charts.Point(row_label, values[name]) for row_label, values in table.rows]
    )


def _breakdown(slug, title, first, columns, grouped, by, values_of) -> Table:
    rows = [
        (row[by] or _("No agency"), values_of(row))
        for row in sorted(grouped, key=lambda r: r[by] or "")
    ]
    return Table(slug, title, first, columns, rows)


# -- exports ------------------------------------------------------------------------------


def to_csv(report: ServiceReport) -> bytes:
    """Every table one after the other, a blank line between them; UTF-8 with BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for table in report.sections:
        writer.writerow([table.title])
        writer.writerow([table.first, *[c.label for c in table.columns]])
        for label, values in table.rows:
            writer.writerow([label, *table.raw(values)])
        if table.total is not None:
            writer.writerow([_("Total"), *table.raw(table.total)])
        writer.writerow([])
    return ("\ufeff" + buffer.getvalue()).encode()


def to_xlsx(report: ServiceReport) -> bytes:
    """One sheet per table."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in report.sections:
        sheet = workbook.create_sheet(table.title[:31])
        sheet.append([_("Period"), f"{report.date_from:%d/%m/%Y} – {report.date_to:%d/%m/%Y}"])
        sheet.append([])
        sheet.append([table.first, *[c.label for c in table.columns]])
        for cell in sheet[3]:
            cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
        for label, values in table.rows:
            sheet.append([label, *table.raw(values)])
        if table.total is not None:
            sheet.append([_("Total"), *table.raw(table.total)])
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
