"""The service figures of a period, from the daily roll-ups of `service_rollups`: PostID at
the counters, the waiting rooms, register digitisation and the service index parts, each
as tables by day (or month) and by point, agency or project, with a chart, and exports.

Every section is a `Table` (columns, rows, a total), so that the page, the CSV, the XLSX
and the monthly PDF show the same figures the same way."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from django.db import models
from django.db.models import DateField, F, Q, QuerySet, Sum, Value
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
from postgov.reports.names import names_of
from postgov.reports.scope import nationwide, scoped_rollups
from postgov.reports.volumes import DAILY_UP_TO

COUNT, SHARE, MINUTES, RATING = "count", "share", "minutes", "rating"
IDENTITY_SUMS = ("accounts_created", "proofed", "proofing_failed")
DIGITISATION_SUMS = ("keyed", "settled")
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
    # Draws the chart; only the page shows it (not the exports, not the PDF).
    draw: Callable[[Table], SafeString] | None = field(default=None, repr=False)

    @cached_property
    def chart(self) -> SafeString | None:
        return None if self.draw is None else self.draw(self)

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


Sums = dict[str, float]


@dataclass
class Totals:
    """A section's sums by period and by each of its breakdowns (a place, an agency...),
    by name, all from one read of the roll-ups."""

    per_period: dict[date, Sums]
    per_key: dict[str, dict[object, Sums]]


def _read(
    sources: list[tuple[QuerySet, date | None]],
    keys: tuple[str, ...],
    sums: tuple[str, ...],
    periods: dict[date, str],
) -> Totals:
    """One statement for a section: the rows of every source (the edges' days, the whole
    months) grouped by period and by all the section's breakdowns at once, united; then
    summed here by period and by each breakdown."""
    parts = [
        source.annotate(period=F("day") if month is None else Value(month, DateField()))
        .values_list("period", *keys)
        .annotate(*[Sum(name) for name in sums])
        .order_by()
        for source, month in sources
    ]
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    width, first = len(sums), 1 + len(keys)
    per_period = {start: [0.0] * width for start in periods}
    per_key: list[dict[object, list[float]]] = [{} for _ in keys]
    for row in rows:
        figures = [value or 0 for value in row[first:]]
        line = per_period[row[0]]
        for i in range(width):
            line[i] += figures[i]
        for position, found in enumerate(per_key):
            seen = found.get(row[1 + position])
            if seen is None:
                found[row[1 + position]] = figures.copy()
            else:
                for i in range(width):
                    seen[i] += figures[i]
    by_name: dict[str, dict[object, Sums]] = {}
    for key, found in zip(keys, per_key, strict=True):
        names = names_of(key, found)
        merged: dict[object, Sums] = {}
        for value, line in found.items():
            name = names[value]
            if name in merged:  # places of the same name are shown as one
                target = merged[name]
                for i, figure in enumerate(sums):
                    target[figure] += line[i]
            else:
                merged[name] = dict(zip(sums, line, strict=True))
        by_name[key] = merged
    return Totals(
        {start: dict(zip(sums, line, strict=True)) for start, line in per_period.items()},
        by_name,
    )


def _add(lines: Iterable[Sums], sums: tuple[str, ...]) -> Sums:
    total = dict.fromkeys(sums, 0.0)
    for line in lines:
        for name in sums:
            total[name] += line[name]
    return total


def queue_values(sums: Mapping[str, float]) -> dict[str, float | None]:
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
    sums: Mapping[str, float], rating: Mapping[str, float] | None = None
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


def _as_is(sums: Sums) -> dict[str, float | None]:
    return dict(sums)


def _bars(name: str) -> Callable[[Table], SafeString]:
    def draw(table: Table) -> SafeString:
        label = next(c.label for c in table.columns if c.name == name)
        return charts.bar_chart(
            label, [charts.Point(row_label, values[name]) for row_label, values in table.rows]
        )

    return draw


def _line(name: str) -> Callable[[Table], SafeString]:
    def draw(table: Table) -> SafeString:
        label = next(c.label for c in table.columns if c.name == name)
        return charts.line_chart(
            label, [charts.Point(row_label, values[name]) for row_label, values in table.rows]
        )

    return draw


@dataclass(frozen=True)
class Section:
    """How a section of roll-ups becomes its tables: the table by period, with its total
    and chart, then one table per breakdown."""

    slug: str
    title: str
    model: type[models.Model]
    columns: list[Column]
    sums: tuple[str, ...]
    values: Callable[[Sums], dict[str, float | None]]
    chart: Callable[[Table], SafeString]
    narrowed_by_procedure: bool = False


def _period_table(section: Section, heading: str, periods, totals: Totals) -> Table:
    per = totals.per_period
    return Table(
        section.slug,
        section.title,
        heading,
        section.columns,
        [(periods[start], section.values(sums)) for start, sums in per.items()],
        section.values(_add(per.values(), section.sums)),
        draw=section.chart,
    )


def _breakdown(
    slug: str,
    title: str,
    first: str,
    columns: list[Column],
    found: dict[object, Sums],
    values_of: Callable[[object, Sums], dict[str, float | None]],
    draw: Callable[[Table], SafeString] | None = None,
) -> Table:
    rows: list[tuple[str, Mapping[str, float | None]]] = [
        (str(name or _("No agency")), values_of(name, sums))
        for name, sums in sorted(found.items(), key=lambda item: str(item[0] or ""))
    ]
    return Table(slug, title, first, columns, rows, draw=draw)


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
        place, place_heading = "province_id", _("Province")
        titles = {
            "identity": _("PostID per province"),
            "queues": _("Waiting rooms per province"),
            "index": _("Service index per province"),
        }
    else:
        place, place_heading = "point_id", _("Post office")
        titles = {
            "identity": _("PostID per post office"),
            "queues": _("Waiting rooms per post office"),
            "index": _("Service index per post office"),
        }

    def read(section: Section, keys: tuple[str, ...]) -> Totals:
        # By month, whole months are read from the monthly roll-ups.
        sources = [
            (
                _narrow(
                    scoped_rollups(access, source),
                    province,
                    point,
                    procedure if section.narrowed_by_procedure else None,
                ),
                month,
            )
            for source, month in months.parts(
                section.model, date_from, date_to, by_day=not by_month
            )
        ]
        return _read(sources, keys, section.sums, periods)

    def add(section: Section, keys: tuple[str, ...]) -> Totals:
        totals = read(section, keys)
        report.sections.append(_period_table(section, period_heading, periods, totals))
        return totals

    def unchanged(_name: object, sums: Sums) -> dict[str, float | None]:
        return dict(sums)

    # PostID at the counters.
    identity = Section(
        "identity",
        _("PostID at the counters"),
        DailyIdentity,
        [
            Column("accounts_created", _("Accounts created")),
            Column("proofed", _("Identities proofed")),
            Column("proofing_failed", _("Proofing failed")),
        ],
        IDENTITY_SUMS,
        _as_is,
        _bars("proofed"),
    )
    totals = add(identity, (place,))
    report.sections.append(
        _breakdown(
            "identity_points",
            titles["identity"],
            place_heading,
            identity.columns,
            totals.per_key[place],
            unchanged,
        )
    )

    # Waiting rooms.
    queues = Section(
        "queues",
        _("Waiting rooms"),
        DailyQueue,
        [
            Column("issued", _("Tickets issued")),
            Column("served", _("Served")),
            Column("no_shows", _("Did not come")),
            Column("mean_wait", _("Mean wait (min)"), MINUTES),
            Column("p90_wait", _("Wait, 90th percentile (min)"), MINUTES),
            Column("within_target", _("Called within the target"), SHARE),
            Column("mean_rating", _("Mean rating (1–5)"), RATING),
        ],
        QUEUE_SUMS,
        queue_values,
        _bars("mean_wait"),
    )
    totals = add(queues, (place,))
    queue_points = totals.per_key[place]
    report.sections.append(
        _breakdown(
            "queue_points",
            titles["queues"],
            place_heading,
            queues.columns,
            queue_points,
            lambda _name, sums: queue_values(sums),
        )
    )

    # Register digitisation (by project: the point and procedure filters do not apply).
    digitisation = Section(
        "digitisation",
        _("Register digitisation"),
        DailyDigitisation,
        [Column("keyed", _("Entries keyed")), Column("settled", _("Records settled"))],
        DIGITISATION_SUMS,
        _as_is,
        _bars("settled"),
    )
    totals = add(digitisation, ("project__name",))
    report.sections.append(
        _breakdown(
            "digitisation_projects",
            _("Register digitisation per project"),
            _("Project"),
            digitisation.columns,
            totals.per_key["project__name"],
            unchanged,
        )
    )

    # The service index parts.
    index = Section(
        "index",
        _("Service index"),
        DailyServiceIndex,
        [
            Column("finished", _("Dossiers finished")),
            Column("on_time", _("Finished on time"), SHARE),
            Column("late", _("Finished late"), SHARE),
            Column("received_digitised", _("Scanned at intake"), SHARE),
            Column("results_digitised", _("Results digitised"), SHARE),
        ],
        INDEX_SUMS,
        index_values,
        _line("on_time"),
        narrowed_by_procedure=True,
    )
    totals = add(index, (place, "agency_id"))
    # Per place, satisfaction is the waiting room's ratings; per agency, the citizens'
    # ratings of their delivered dossiers.
    no_rating = dict.fromkeys(QUEUE_SUMS, 0.0)
    point_columns = [*index.columns, Column("satisfaction", _("Satisfaction"), SHARE)]
    report.sections.append(
        _breakdown(
            "index_points",
            titles["index"],
            place_heading,
            point_columns,
            totals.per_key[place],
            lambda name, sums: index_values(sums, queue_points.get(name, no_rating)),
            _bars("on_time"),
        )
    )
    report.sections.append(
        _breakdown(
            "index_agencies",
            _("Service index per agency"),
            _("Agency"),
            point_columns,
            totals.per_key["agency_id"],
            lambda _name, sums: index_values(sums, sums),
            _bars("satisfaction"),
        )
    )
    return report


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
