"""Dashboards and reports: work and deadlines per leg, reconciliation of fees with CSV and
XLSX exports, and what the national portal has not received yet."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from postgov.agencies.models import Agency
from postgov.audit.actions import record
from postgov.dossiers.clock import LATE, standing_filter
from postgov.dossiers.models import LegRecord
from postgov.dossiers.workflow import SEGMENT_BY_NAME, SEGMENTS, STATES, Leg
from postgov.exchange import portal
from postgov.exchange.models import PortalSyncItem, WebhookDelivery
from postgov.identity.access import role_required
from postgov.identity.models import AGENCY_ROLES, Role
from postgov.lib import charts
from postgov.lib.forms import StyledFormMixin
from postgov.places.models import ServicePoint
from postgov.reports import monthly_pdf, point_map
from postgov.reports.reconciliation import period_bounds, reconcile, to_csv, to_xlsx
from postgov.reports.scope import nationwide, report_dossiers, report_orders
from postgov.reports.service_figures import service_report
from postgov.reports.service_figures import to_csv as service_figures_csv
from postgov.reports.service_figures import to_xlsx as service_figures_xlsx
from postgov.reports.sla import legs_in_scope, sla_report
from postgov.reports.volumes import (
    FIGURES,
    VolumeFilterForm,
    breakdown,
    default_filters,
    provinces_in_scope,
    volume_report,
)
from postgov.reports.volumes import to_csv as volumes_csv
from postgov.reports.volumes import to_xlsx as volumes_xlsx

REPORT_ROLES = (
    Role.SUPERVISOR,
    Role.PROVINCIAL_ADMIN,
    Role.AUDITOR,
    Role.AGENCY_RECEIVER,
    Role.AGENCY_OFFICER,
    Role.NATIONAL_ADMIN,
)
OVERSIGHT = (Role.PROVINCIAL_ADMIN, Role.AUDITOR)
LEG_LABELS = dict(Leg.choices)


def _month_start(today: date) -> date:
    return today.replace(day=1)


class PeriodForm(StyledFormMixin, forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end of the period is before its start."))
            if (end - start).days > 366:
                raise forms.ValidationError(_("A period is at most one year."))
            if start.year < 2000 or end.year > 2100:
                raise forms.ValidationError(_("Choose dates between 2000 and 2100."))
        return data


def _period(request) -> tuple[PeriodForm, date, date]:
    today = timezone.localdate()
    form = PeriodForm(
        request.GET
        if "date_from" in request.GET
        else {"date_from": _month_start(today), "date_to": today}
    )
    if form.is_valid():
        return form, form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    return form, _month_start(today), today


def agencies_in_scope(access):
    """Agencies whose figures the person may see."""
    if nationwide(access):
        return Agency.objects.order_by("name")
    provinces = set(access.province_ids())
    points = access.point_ids(Role.SUPERVISOR)
    provinces |= set(
        ServicePoint.objects.filter(pk__in=points).values_list("commune__province_id", flat=True)
    )
    return Agency.objects.filter(
        Q(province__in=provinces) | Q(pk__in=access.agency_ids(*AGENCY_ROLES))
    ).order_by("name")


def _dashboard_charts(access, segments: list[dict]) -> dict:
    """The dashboard's charts, each with the rows of the table beside it: this month's
    dossiers per day and on-time share per leg from the daily roll-ups (one read of each,
    as the volumes report does), and the legs open now from the figures already counted."""
    today = timezone.localdate()
    month = volume_report(access, _month_start(today), today)
    days = [(b.label, b.figures["sealed"], b.figures["delivered"]) for b in month.buckets]
    # The legs' names are too long under a bar: the charts number them, as the tables do.
    number = {seg.name: n for n, seg in enumerate(SEGMENTS, 1)}
    on_time = []
    for name, good, late in month.segments:
        seg = SEGMENT_BY_NAME.get(name)
        ended = good + late
        share = round(100 * good / ended) if ended else None
        on_time.append((number.get(name, 0), str(seg.label) if seg else name, good, late, share))
    labels = [_("Leg %(n)s") % {"n": n} for n in range(1, len(segments) + 1)]
    return {
        "received_title": _("Dossiers received per day this month"),
        "returned_title": _("Results returned per day this month"),
        "on_time_title": _("Legs ended on time this month (%)"),
        "open_title": _("Legs open now, by leg"),
        "daily_rows": days,
        "received_chart": charts.bar_chart(
            _("Dossiers received per day this month"),
            [charts.Point(label, received) for label, received, _returned in days],
        ),
        "returned_chart": charts.bar_chart(
            _("Results returned per day this month"),
            [charts.Point(label, returned) for label, _received, returned in days],
        ),
        "on_time_rows": on_time,
        "on_time_chart": charts.bar_chart(
            _("Legs ended on time this month (%)"),
            [charts.Point(_("Leg %(n)s") % {"n": n}, share) for n, *_rest, share in on_time],
            suffix=" %",
        ),
        "open_chart": charts.stacked_bar_chart(
            _("Legs open now, by leg"),
            labels,
            [
                (
                    _("Not due yet"),
                    [max(s["open"] - s["due_soon"] - s["overdue"], 0) for s in segments],
                ),
                (_("Due within 1 working day"), [s["due_soon"] for s in segments]),
                (_("Overdue"), [s["overdue"] for s in segments]),
            ],
        ),
    }


@require_GET
@role_required(*REPORT_ROLES)
def dashboard(request):
    access = request.access
    dossiers = report_dossiers(access)
    open_states = [s for s, info in STATES.items() if not info.final]
    by_state = dict(
        dossiers.filter(status__in=open_states)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_leg: dict[str, int] = {}
    for state, n in by_state.items():
        leg = STATES[state].leg
        by_leg[leg] = by_leg.get(leg, 0) + n
    legs = legs_in_scope(access).filter(ended_at__isnull=True)
    now = timezone.now()
    # Overdue is counted now (clock.standing); "due soon" is what the SLA check found
    # due within a working day and is not overdue yet, as in the per-leg report.
    late = standing_filter(LATE, now, {})
    counts = {
        row["segment"]: row
        for row in legs.values("segment").annotate(
            n=Count("id"),
            overdue=Count("id", filter=late),
            soon=Count("id", filter=Q(flag=LegRecord.Flag.DUE_SOON) & ~late),
        )
    }
    segments = [
        {
            "label": seg.label,
            "open": counts.get(seg.name, {}).get("n", 0),
            "due_soon": counts.get(seg.name, {}).get("soon", 0),
            "overdue": counts.get(seg.name, {}).get("overdue", 0),
        }
        for seg in SEGMENTS
    ]
    start, _period_end = period_bounds(_month_start(timezone.localdate()), timezone.localdate())
    money = dossiers.filter(paid_at__gte=start).aggregate(
        collected=Sum("procedure_fee"),
        handed=Sum("fees_handed_over", filter=Q(submitted_at__isnull=False)),
        postage=Sum("postage_out"),
        postage_back=Sum("postage_back"),
        remittance=Sum("remittance_fee"),
    )
    worst = (
        legs.filter(late)
        .select_related("dossier", "service_point", "agency")
        .order_by("due_at")[:15]
    )
    agencies = agencies_in_scope(access)
    context = {
        "by_leg": [(LEG_LABELS[leg], n) for leg, n in sorted(by_leg.items())],
        "segments": segments,
        **_dashboard_charts(access, segments),
        "money": {k: v or 0 for k, v in money.items()},
        "worst": worst,
        "webhooks_failed": WebhookDelivery.objects.filter(
            endpoint__agency__in=agencies, status=WebhookDelivery.Status.FAILED
        ).count(),
        "oversight": access.has_role(*OVERSIGHT),
        "can_map": access.has_role(*point_map.MAP_ROLES),
    }
    if context["oversight"]:
        report = portal.not_synced_report(access.province_ids())
        context["portal_pending"] = sum(report["counts"].values())
    return render(request, "reports/dashboard.html", context)


@require_GET
@role_required(*point_map.MAP_ROLES)
def service_point_map(request):
    """The service points in scope, coloured by open dossiers and overdue legs; the table
    beside the map says the same without JavaScript."""
    loads = point_map.point_loads(request.access, timezone.now())

    def describe(load: point_map.PointLoad) -> str:
        return _("%(open)s open dossiers, %(overdue)s overdue legs") % {
            "open": load.open,
            "overdue": load.overdue,
        }

    urls = point_map.day_urls(request.access, loads)
    return render(
        request,
        "reports/point_map.html",
        {
            "rows": [(load, urls.get(load.point.pk, "")) for load in loads],
            "markers": point_map.markers(loads, urls, describe),
            "busy": point_map.BUSY,
        },
    )


@require_GET
@role_required(*REPORT_ROLES)
def sla(request):
    form, date_from, date_to = _period(request)
    start, end = period_bounds(date_from, date_to)
    lines = sla_report(legs_in_scope(request.access), start, end)
    return render(
        request,
        "reports/sla.html",
        {"form": form, "lines": lines, "oversight": request.access.has_role(*OVERSIGHT)},
    )


@require_GET
@role_required(*REPORT_ROLES)
def reconciliation(request):
    form, date_from, date_to = _period(request)
    agencies = agencies_in_scope(request.access)
    chosen = request.GET.get("agency", "")
    agency = (
        agencies.filter(pk=int(chosen)).first() if chosen.isdigit() and len(chosen) < 12 else None
    )
    result = None
    if agency is not None and form.is_valid():
        result = reconcile(
            agency,
            date_from,
            date_to,
            report_dossiers(request.access),
            report_orders(request.access),
        )
        export = request.GET.get("export", "")
        if export in ("csv", "xlsx"):
            record(
                "reports.reconciliation_exported",
                request=request,
                agency_id=agency.pk,
                details={
                    "agency": agency.unit_code,
                    "from": date_from.isoformat(),
                    "to": date_to.isoformat(),
                    "format": export,
                    "dossiers": len(result.dossiers),
                },
            )
            name = f"doi-soat-{agency.unit_code}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.{export}"
            if export == "csv":
                response = HttpResponse(to_csv(result), content_type="text/csv; charset=utf-8")
            else:
                response = HttpResponse(
                    to_xlsx(result),
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    return render(
        request,
        "reports/reconciliation.html",
        {
            "form": form,
            "agencies": agencies,
            "agency": agency,
            "result": result,
            "oversight": request.access.has_role(*OVERSIGHT),
        },
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_GET
@role_required(*REPORT_ROLES)
def volumes(request):
    """Figures of a period from the daily roll-ups, as charts with their tables."""
    access = request.access
    filters = request.GET if request.GET.keys() - {"export"} else default_filters()
    form = VolumeFilterForm(filters, access=access)
    report = None
    if form.is_valid():
        data = form.cleaned_data
        report = volume_report(
            access,
            data["date_from"],
            data["date_to"],
            province=data["province"],
            point=data["point"],
            procedure=data["procedure"],
        )
        export = request.GET.get("export", "")
        if export in ("csv", "xlsx"):
            record(
                "reports.volumes_exported",
                request=request,
                details={
                    "from": report.date_from.isoformat(),
                    "to": report.date_to.isoformat(),
                    "format": export,
                },
            )
            name = f"san-luong-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.{export}"
            if export == "csv":
                response = HttpResponse(volumes_csv(report), content_type="text/csv; charset=utf-8")
            else:
                response = HttpResponse(volumes_xlsx(report), content_type=XLSX)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    charts = []
    if report is not None:
        charts = [
            (label, report.chart(name, label), [(b.label, b.figures[name]) for b in report.buckets])
            for name, label in FIGURES
        ]
    return render(
        request,
        "reports/volumes.html",
        {
            "form": form,
            "report": report,
            "charts": charts,
            "figures": FIGURES,
            "segment_labels": {seg.name: seg.label for seg in SEGMENTS},
            "query": urlencode([(k, v) for k, v in filters.items() if k != "export"]),
            "oversight": access.has_role(*OVERSIGHT),
        },
    )


@require_GET
@role_required(*REPORT_ROLES)
def service_figures(request):
    """PostID, waiting rooms, digitisation and the service index parts of a period, from
    the daily roll-ups, as charts with their tables."""
    access = request.access
    filters = request.GET if request.GET.keys() - {"export"} else default_filters()
    form = VolumeFilterForm(filters, access=access)
    report = None
    if form.is_valid():
        data = form.cleaned_data
        narrow = {name: data[name] for name in ("province", "point", "procedure")}
        report = service_report(access, data["date_from"], data["date_to"], **narrow)
        export = request.GET.get("export", "")
        if export in ("csv", "xlsx"):
            record(
                "reports.service_figures_exported",
                request=request,
                details={
                    "from": report.date_from.isoformat(),
                    "to": report.date_to.isoformat(),
                    "format": export,
                },
            )
            name = f"chi-so-dich-vu-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.{export}"
            if export == "csv":
                response = HttpResponse(
                    service_figures_csv(report), content_type="text/csv; charset=utf-8"
                )
            else:
                response = HttpResponse(service_figures_xlsx(report), content_type=XLSX)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    return render(
        request,
        "reports/service_figures.html",
        {
            "form": form,
            "report": report,
            "query": urlencode([(k, v) for k, v in filters.items() if k != "export"]),
            "oversight": access.has_role(*OVERSIGHT),
        },
    )


@require_GET
@role_required(*REPORT_ROLES)
def volumes_pdf(request):
    """The period's report to the province (a month, by default the current one) as a PDF;
    bad filters show the volumes page with their message."""
    access = request.access
    filters = request.GET if request.GET else default_filters()
    form = VolumeFilterForm(filters, access=access)
    if not form.is_valid():
        return volumes(request)
    data = form.cleaned_data
    date_from, date_to = data["date_from"], data["date_to"]
    narrow = {name: data[name] for name in ("province", "point", "procedure")}
    record(
        "reports.volumes_exported",
        request=request,
        details={"from": date_from.isoformat(), "to": date_to.isoformat(), "format": "pdf"},
    )
    # Kept under the roll-ups' version of the period: a repeat costs nothing, and a
    # refresh of any day of the period makes the next request draw it again.
    key = monthly_pdf.cache_key(access, date_from, date_to, **narrow)
    pdf = None if key is None else cache.get(key)
    if pdf is None:
        pdf = _monthly_pdf(access, date_from, date_to, narrow)
        if key is not None:
            cache.set(key, pdf, monthly_pdf.KEPT_FOR)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"bao-cao-{date_from:%Y%m%d}-{date_to:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _monthly_pdf(access, date_from: date, date_to: date, narrow: dict) -> bytes:
    report = volume_report(access, date_from, date_to, **narrow)
    # The whole country is broken down by province: thousands of post offices are no table.
    place = (
        "province"
        if nationwide(access) and not (narrow["province"] or narrow["point"])
        else "point"
    )
    by_point = breakdown(access, date_from, date_to, place, **narrow)
    by_agency = breakdown(access, date_from, date_to, "agency", **narrow)
    province = narrow["province"]
    if province is None and nationwide(access):
        province_name = "Toàn quốc"  # the PDF is in Vietnamese whatever the page's language
    elif province is None:
        names = list(provinces_in_scope(access).order_by("name").values_list("name", flat=True))
        province_name = ", ".join(names)
    else:
        province_name = province.name
    with translation.override("vi"):  # the PDF is in Vietnamese whatever the page's language
        service = service_report(access, date_from, date_to, **narrow)
    return monthly_pdf.render(
        report,
        by_point,
        by_agency,
        province_name=province_name,
        service=service,
        by_province=place == "province",
    )


@require_GET
@role_required(*OVERSIGHT)
def portal_sync(request):
    report = portal.not_synced_report(request.access.province_ids())
    page = Paginator(report["items"], 50).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/portal_sync.html",
        {
            # By the status's label: the code ("failed") is not a word of the page.
            "counts": {
                PortalSyncItem.Status(status).label: n for status, n in report["counts"].items()
            },
            "page_obj": page,
            "missing": report["missing"].order_by("submitted_at")[:50],
            "configured": portal.configured(),
        },
    )


@require_POST
@role_required(Role.PROVINCIAL_ADMIN)
def portal_retry(request):
    count = portal.retry_pending()
    record("reports.portal_retry", request=request, details={"dossiers": count})
    messages.success(request, _("%(n)s dossier(s) queued for the portal again.") % {"n": count})
    return redirect("reports:portal_sync")
