"""The volumes report: the daily roll-ups of a period, filtered and scoped to what the
viewer may see, by day (short periods) or by month, with its charts and exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import cast

from django import forms
from django.db.models import DateField, F, IntegerField, Q, QuerySet, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from postgov.catalog.models import Procedure
from postgov.identity.access import Access
from postgov.identity.models import Role
from postgov.lib import charts
from postgov.lib.forms import StyledFormMixin
from postgov.places.models import Province, ServicePoint
from postgov.reports import months
from postgov.reports.models import DailyLegs, DailyVolume
from postgov.reports.names import names_of
from postgov.reports.scope import nationwide, scoped_rollups

# Periods longer than this are shown by month.
DAILY_UP_TO = 62
FIGURES = (
    ("sealed", gettext_lazy("Received")),
    ("handed_over", gettext_lazy("Handed to the agency")),
    ("results_ready", gettext_lazy("Results ready")),
    ("delivered", gettext_lazy("Delivered")),
    ("refused", gettext_lazy("Refused")),
    ("procedure_fees", gettext_lazy("Procedure fees (VND)")),
    ("postage", gettext_lazy("Postage (VND)")),
    ("total_due", gettext_lazy("Total collected (VND)")),
    # Postal orders (decision 0016), their own kind.
    ("orders_taken", gettext_lazy("Postal orders taken")),
    ("orders_delivered", gettext_lazy("Postal orders delivered")),
    ("originals_handed_over", gettext_lazy("Originals handed to the agency")),
)
FIGURE_NAMES = tuple(name for name, _label in FIGURES)


def _scoped(access: Access, queryset: QuerySet) -> QuerySet:
    return scoped_rollups(access, queryset)


def provinces_in_scope(access: Access) -> QuerySet[Province]:
    if nationwide(access):
        return Province.objects.all()
    points = access.point_ids(Role.SUPERVISOR)
    return Province.objects.filter(
        Q(pk__in=access.province_ids())
        | Q(communes__service_points__in=points)
        | Q(agencies__in=access.agency_ids())
    ).distinct()


def points_in_scope(access: Access) -> QuerySet[ServicePoint]:
    """The post offices one may choose: one's own, and those of the provinces one oversees
    or where one's agency is; every one for a national administrator."""
    if nationwide(access):
        return ServicePoint.objects.order_by("name")
    return (
        ServicePoint.objects.filter(
            Q(pk__in=access.point_ids(Role.SUPERVISOR))
            | Q(commune__province__in=access.province_ids())
            | Q(commune__province__agencies__in=access.agency_ids())
        )
        .distinct()
        .order_by("name")
    )


# Beyond this many post offices in scope (a national administrator's thousands) the
# post-office filter is a code to type, not a list drawn into every page.
POINT_LIST_UP_TO = 400


class PointCodeField(forms.CharField):
    """A post office by its code, among those one may choose."""

    def __init__(self, points: QuerySet[ServicePoint], **kwargs):
        self.points = points
        super().__init__(**kwargs)

    def clean(self, value) -> ServicePoint | None:
        code = (super().clean(value) or "").strip()
        if not code:
            return None
        point = self.points.filter(code=code).first()
        if point is None:
            raise forms.ValidationError(_("This post office is not one whose figures you see."))
        return point


class VolumeFilterForm(StyledFormMixin, forms.Form):
    month = forms.CharField(
        label=gettext_lazy("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=gettext_lazy("Fills in the period: the whole month."),
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    province = forms.ModelChoiceField(
        label=gettext_lazy("Province"),
        queryset=Province.objects.none(),
        required=False,
        empty_label=gettext_lazy("All"),
        error_messages={"invalid_choice": gettext_lazy("Choose a province from the list.")},
    )
    point = forms.ModelChoiceField(
        label=gettext_lazy("Post office"),
        queryset=ServicePoint.objects.none(),
        required=False,
        empty_label=gettext_lazy("All"),
        error_messages={
            "invalid_choice": gettext_lazy("This post office is not one whose figures you see.")
        },
    )
    procedure = forms.CharField(label=gettext_lazy("Procedure code"), required=False, max_length=30)

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["province"]).queryset = provinces_in_scope(
            access
        ).order_by("name")
        points = points_in_scope(access)
        if nationwide(access) and points.count() > POINT_LIST_UP_TO:
            self.fields["point"] = PointCodeField(
                points,
                label=gettext_lazy("Post office code"),
                required=False,
                max_length=20,
                widget=forms.TextInput(attrs={"class": "form-control"}),
            )
        else:
            cast(forms.ModelChoiceField, self.fields["point"]).queryset = points

    def clean_month(self) -> date | None:
        text = self.cleaned_data.get("month", "").strip()
        if not text:
            return None
        try:
            year, month = (int(part) for part in text.split("-"))
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(_("Write the month as YYYY-MM.")) from None

    def clean_procedure(self) -> Procedure | None:
        code = self.cleaned_data.get("procedure", "").strip()
        if not code:
            return None
        procedure = Procedure.objects.filter(code=code).first()
        if procedure is None:
            raise forms.ValidationError(_("No procedure has this code."))
        return procedure

    def clean(self):
        data = super().clean()
        month = data.get("month")
        if month and not (data.get("date_from") or data.get("date_to")):
            data["date_from"] = month
            data["date_to"] = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        start, end = data.get("date_from"), data.get("date_to")
        if "date_from" in self.errors or "date_to" in self.errors or "month" in self.errors:
            return data
        if not start or not end:
            raise forms.ValidationError(_("Choose a period: a month, or a start and an end."))
        if end < start:
            raise forms.ValidationError(_("The end of the period is before its start."))
        if (end - start).days > 366:
            raise forms.ValidationError(_("A period is at most one year."))
        if start.year < 2000 or end.year > 2100:
            raise forms.ValidationError(_("Choose dates between 2000 and 2100."))
        return data


def default_filters() -> dict[str, str]:
    today = timezone.localdate()
    return {"date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat()}


@dataclass
class Bucket:
    label: str
    start: date
    figures: dict[str, int] = field(default_factory=dict)
    on_time: int = 0
    late: int = 0

    @property
    def on_time_rate(self) -> float | None:
        ended = self.on_time + self.late
        return round(100 * self.on_time / ended, 1) if ended else None


@dataclass
class VolumeReport:
    date_from: date
    date_to: date
    by_month: bool
    buckets: list[Bucket]
    total: Bucket
    segments: list[tuple[str, int, int]]

    def chart(self, name: str, label: str):
        return charts.bar_chart(
            str(label), [charts.Point(b.label, b.figures[name]) for b in self.buckets]
        )

    def rate_chart(self):
        return charts.line_chart(
            _("Legs ended on time (%)"),
            [charts.Point(b.label, b.on_time_rate) for b in self.buckets],
        )


def volume_report(
    access: Access,
    date_from: date,
    date_to: date,
    *,
    province: Province | None = None,
    point: ServicePoint | None = None,
    procedure: Procedure | None = None,
) -> VolumeReport:
    narrow = _filters(province, point, procedure)
    by_month = (date_to - date_from).days >= DAILY_UP_TO
    buckets: dict[date, Bucket] = {}
    day = date_from
    while day <= date_to:
        start = day.replace(day=1) if by_month else day
        label = f"{start:%m/%Y}" if by_month else f"{start:%d/%m}"
        buckets.setdefault(start, Bucket(label, start, dict.fromkeys(FIGURE_NAMES, 0)))
        day += timedelta(days=1)

    def bucket_of(day: date) -> Bucket:
        return buckets[day.replace(day=1) if by_month else day]

    # Months from the monthly roll-ups (less the days outside the period) when the
    # buckets are months: one statement per table.
    by_day = not by_month
    sources = (date_from, date_to, narrow, by_day)
    for row in _rows(access, DailyVolume, *sources, (), FIGURE_NAMES):
        figures = bucket_of(row[0]).figures
        for i, name in enumerate(FIGURE_NAMES, start=1):
            figures[name] += row[i]
    # One read of the legs, by period and leg, gives both the buckets and the legs' totals.
    by_segment: dict[str, list[int]] = {}
    for period, segment, on_time, late in _rows(
        access, DailyLegs, *sources, ("segment",), ("on_time", "late")
    ):
        target = bucket_of(period)
        target.on_time += on_time
        target.late += late
        totals = by_segment.setdefault(segment, [0, 0])
        totals[0] += on_time
        totals[1] += late
    segments = [
        (name, on_time, late)
        for name, (on_time, late) in sorted(by_segment.items())
        if on_time or late  # a leg only in days subtracted from their month nets to nothing
    ]
    lines = list(buckets.values())
    total = Bucket(
        _("Total"),
        date_from,
        {name: sum(b.figures[name] for b in lines) for name in FIGURE_NAMES},
        sum(b.on_time for b in lines),
        sum(b.late for b in lines),
    )
    return VolumeReport(date_from, date_to, by_month, lines, total, segments)


@dataclass
class Breakdown:
    name: str
    figures: dict[str, int]


def breakdown(
    access: Access,
    date_from: date,
    date_to: date,
    by: str,
    *,
    province: Province | None = None,
    point: ServicePoint | None = None,
    procedure: Procedure | None = None,
) -> list[Breakdown]:
    """The period's figures per post office (`by="point"`), per agency (`by="agency"`) or
    per province (`by="province"`)."""
    narrow = _filters(province, point, procedure)
    sums: dict[str | None, dict[str, int]] = {}
    key = f"{by}_id"
    per_key: dict[object, list[int]] = {}
    for _period, value, *figures in _rows(
        access, DailyVolume, date_from, date_to, narrow, False, (key,), FIGURE_NAMES
    ):
        line = per_key.get(value)
        if line is None:
            per_key[value] = figures
        else:
            for i, figure in enumerate(figures):
                line[i] += figure
    # A key whose rows all lie in days subtracted from their month nets to nothing.
    found = {value: line for value, line in per_key.items() if any(line)}
    names = names_of(key, found)
    for value, line in found.items():
        # Places of the same name are shown as one line, as they always were.
        target = sums.setdefault(names[value], dict.fromkeys(FIGURE_NAMES, 0))
        for name, figure in zip(FIGURE_NAMES, line, strict=True):
            target[name] += figure
    return [
        Breakdown(name or _("No agency"), figures)
        for name, figures in sorted(sums.items(), key=lambda item: (item[0] is None, item[0]))
    ]


def _rows(
    access: Access,
    daily: type[DailyVolume] | type[DailyLegs],
    date_from: date,
    date_to: date,
    narrow: Q,
    by_day: bool,
    keys: tuple[str, ...],
    sums: tuple[str, ...],
) -> Iterator[tuple]:
    """The period's rows of `daily` one may see, summed by period (a day, or a month's
    first day) and `keys`, in one statement: the parts (`months.signed_parts`) each grouped
    in the database and united; a part that is subtracted comes back negated."""
    parts = [
        _scoped(access, part.rows.filter(narrow))
        .annotate(
            period=F("day") if part.month is None else Value(part.month, DateField()),
            sign=Value(part.sign, IntegerField()),
        )
        .values_list("period", "sign", *keys)
        .annotate(*[Sum(name) for name in sums])
        .order_by()
        for part in months.signed_parts(daily, date_from, date_to, by_day=by_day)
    ]
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    width = 2 + len(keys)
    for row in rows:
        sign = row[1]
        yield (row[0], *row[2:width], *[sign * (value or 0) for value in row[width:]])


def _filters(
    province: Province | None, point: ServicePoint | None, procedure: Procedure | None
) -> Q:
    narrow = Q()
    if province is not None:
        narrow &= Q(province=province)
    if point is not None:
        narrow &= Q(point=point)
    if procedure is not None:
        narrow &= Q(procedure=procedure)
    return narrow


# -- exports ------------------------------------------------------------------------------
def headers() -> list[str]:
    return [
        _("Period"),
        *[str(label) for _name, label in FIGURES],
        _("Legs on time"),
        _("Legs late"),
        _("On time (%)"),
    ]


def _row(bucket: Bucket) -> list:
    rate = bucket.on_time_rate
    return [
        bucket.label,
        *[bucket.figures[name] for name in FIGURE_NAMES],
        bucket.on_time,
        bucket.late,
        "" if rate is None else rate,
    ]


def to_csv(report: VolumeReport) -> bytes:
    """UTF-8 with BOM so that spreadsheet programs read the Vietnamese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers())
    for bucket in [*report.buckets, report.total]:
        writer.writerow(_row(bucket))
    return ("\ufeff" + buffer.getvalue()).encode()


def to_xlsx(report: VolumeReport) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Volumes")[:31]
    sheet.append([_("Period"), f"{report.date_from:%d/%m/%Y} – {report.date_to:%d/%m/%Y}"])
    sheet.append([])
    sheet.append(headers())
    for cell in sheet[3]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    for bucket in report.buckets:
        sheet.append(_row(bucket))
    sheet.append(_row(report.total))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
