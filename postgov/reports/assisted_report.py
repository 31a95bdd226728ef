"""The "Assisted sessions" report: sessions per day as a chart with its table beside it,
by outcome and by portal, the mean time spent, for a period and the post offices one
sees; CSV and XLSX exports like the volumes report. The figures are the assisted app's
(`postgov.assisted.figures`)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import cast
from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font

from postgov.assisted import figures
from postgov.assisted.models import Outcome, Portal
from postgov.audit.actions import record
from postgov.identity.access import role_required
from postgov.lib import charts
from postgov.lib.forms import StyledFormMixin
from postgov.places.models import ServicePoint
from postgov.reports.views import REPORT_ROLES
from postgov.reports.volumes import default_filters, points_in_scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AssistedFilterForm(StyledFormMixin, forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"})
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

    def __init__(self, *args, access, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["point"]).queryset = points_in_scope(access)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end of the period is before its start."))
            if (end - start).days > 366:
                raise forms.ValidationError(_("A period is at most one year."))
        return data


def _report(start: date, end: date, point_ids: list[int]) -> dict:
    per_day = figures.per_day(start, end, point_ids)
    spent = figures.time_spent(start, end, point_ids)
    outcomes = figures.per_outcome(start, end, point_ids)
    portals = figures.per_portal(start, end, point_ids)
    return {
        "days": [(day.strftime("%d/%m"), n) for day, n in per_day.items()],
        "total": sum(per_day.values()),
        "spent": spent,
        "outcomes": [
            (label, outcomes.get(code, 0))
            for code, label in [*Outcome.choices, ("", _("Still open"))]
        ],
        "portals": [(label, portals.get(code, 0)) for code, label in Portal.choices],
    }


def _rows(report: dict) -> list[list]:
    rows: list[list] = [[_("Day"), pgettext("assisted sessions", "Sessions")]]
    rows += [[label, n] for label, n in report["days"]]
    rows.append([_("Total"), report["total"]])
    rows.append([])
    rows += [[str(label), n] for label, n in report["outcomes"]]
    rows.append([])
    rows += [[str(label), n] for label, n in report["portals"]]
    rows.append([])
    rows.append([_("Mean time spent (min)"), report["spent"].mean_minutes or ""])
    return rows


def _csv(report: dict) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_rows(report))
    return ("\ufeff" + buffer.getvalue()).encode()


def _xlsx(report: dict) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Assisted sessions")[:31]
    for row in _rows(report):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@require_GET
@role_required(*REPORT_ROLES)
def assisted(request):
    filters = request.GET if request.GET.keys() - {"export"} else default_filters()
    form = AssistedFilterForm(filters, access=request.access)
    report = chart = None
    if form.is_valid():
        data = form.cleaned_data
        points = (
            [data["point"].pk]
            if data["point"]
            else list(points_in_scope(request.access).values_list("pk", flat=True))
        )
        report = _report(data["date_from"], data["date_to"], points)
        export = request.GET.get("export", "")
        if export in ("csv", "xlsx"):
            record(
                "assisted.report_exported",
                request=request,
                details={
                    "from": data["date_from"].isoformat(),
                    "to": data["date_to"].isoformat(),
                    "format": export,
                },
            )
            name = f"ho-tro-truc-tuyen-{data['date_from']:%Y%m%d}-{data['date_to']:%Y%m%d}.{export}"
            if export == "csv":
                response = HttpResponse(_csv(report), content_type="text/csv; charset=utf-8")
            else:
                response = HttpResponse(_xlsx(report), content_type=XLSX)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        chart = charts.bar_chart(
            _("Assisted sessions per day"),
            [charts.Point(label, n) for label, n in report["days"]],
        )
    query = urlencode([(k, v) for k, v in filters.items() if k != "export"])
    return render(
        request,
        "reports/assisted.html",
        {"form": form, "report": report, "chart": chart, "query": query},
    )
