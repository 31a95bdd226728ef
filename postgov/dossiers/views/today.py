"""The counter's day: the dossiers received, those waiting to go, and their dispatch."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from postgov.audit.actions import record
from postgov.dossiers.actions import visible_dossiers
from postgov.dossiers.intake import common as intake_common
from postgov.dossiers.intake import sealing
from postgov.dossiers.models import Dossier, PaymentMethod
from postgov.dossiers.practice import in_practice
from postgov.dossiers.views.dossier import int_or_none
from postgov.dossiers.workflow import State
from postgov.identity.access import role_required
from postgov.identity.models import POINT_ROLES, Role
from postgov.places.models import ServicePoint


@role_required(*POINT_ROLES)
@require_POST
def dispatch(request):
    ids = [pk for pk in (int_or_none(v) for v in request.POST.getlist("dossier")) if pk]
    visible = list(visible_dossiers(request.access).filter(pk__in=ids).values_list("pk", flat=True))
    if not visible:
        messages.error(request, _("Tick the dossiers to dispatch."))
    else:
        done, errors = sealing.dispatch(
            visible, actor=request.user, access=request.access, request=request
        )
        if done:
            messages.success(request, _("%(count)d dossier(s) on the way.") % {"count": done})
        for error in errors[:5]:
            messages.error(request, error)
    return redirect(reverse("dossiers:today") + "?view=dispatch")


# Lazy: evaluated in the language of each request, not the one the module was imported in.
VIEWS = {
    "today": gettext_lazy("Today"),
    "drafts": gettext_lazy("Drafts"),
    "dispatch": gettext_lazy("Waiting for dispatch"),
    "all": gettext_lazy("All"),
}


def _today_range():
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time.min))
    return today, start, start + timedelta(days=1)


@role_required(*POINT_ROLES)
@require_GET
def today(request):
    access = request.access
    point_ids = access.point_ids(*POINT_ROLES)
    if not point_ids:
        raise PermissionDenied
    return _day(
        request,
        point_ids,
        int_or_none(request.GET.get("point")),
        supervised=access.point_ids(Role.SUPERVISOR),
        extra={"points": intake_common.intake_points(access)},
    )


@role_required(Role.PROVINCIAL_ADMIN, Role.AUDITOR)
@require_GET
def point_day(request, pk: int):
    """A post office's day seen from the province (its administrator or auditor, from the
    manager's map): the same lists and money, read-only, and the look is audited."""
    point = get_object_or_404(ServicePoint.objects.select_related("commune"), pk=pk)
    if not request.access.oversees_province(point.commune.province_id):
        raise Http404
    record(
        "dossier.point_day_viewed",
        request=request,
        actor=request.user,
        object_type="places.servicepoint",
        object_id=str(point.pk),
        role=Role.PROVINCIAL_ADMIN
        if request.access.has_role(Role.PROVINCIAL_ADMIN)
        else Role.AUDITOR,
        service_point_id=point.pk,
        details={"view": request.GET.get("view", "today")[:20]},
    )
    return _day(
        request,
        frozenset({point.pk}),
        point.pk,
        supervised=frozenset({point.pk}),
        extra={"read_only": True, "day_point": point},
    )


def _day(request, point_ids, point, *, supervised, extra):
    _date, start, end = _today_range()
    # The trainee in training sees their practice; the cash stays real.
    practice = in_practice(request)
    queryset = Dossier.objects.filter(
        receiving_point_id__in=point_ids, practice=practice
    ).select_related("procedure_version__procedure", "agency", "receiving_point")
    if point in point_ids:
        queryset = queryset.filter(receiving_point_id=point)
    view = request.GET.get("view", "today")
    if view not in VIEWS:
        view = "today"
    if view == "today":
        queryset = queryset.filter(
            Q(sealed_at__gte=start, sealed_at__lt=end)
            | Q(status=State.DRAFT, created_at__gte=start, created_at__lt=end)
        )
    elif view == "drafts":
        queryset = queryset.filter(status=State.DRAFT)
    elif view == "dispatch":
        queryset = queryset.filter(status=State.SEALED)
    status = request.GET.get("status", "")
    if status in State.values:
        queryset = queryset.filter(status=status)
    query = (request.GET.get("q") or "").strip()[:60]
    if query:
        queryset = queryset.filter(
            Q(code__icontains=query)
            | Q(applicant_name__icontains=query)
            | Q(items__item_id=query.upper())
            | Q(applicant_phone__endswith=query)
        ).distinct()
    page = Paginator(queryset.order_by("-created_at", "-pk"), 25).get_page(request.GET.get("page"))
    cash = None
    if supervised:
        sealed_today = Dossier.objects.filter(
            receiving_point_id__in=supervised,
            sealed_at__gte=start,
            sealed_at__lt=end,
            practice=False,
        )
        if point in supervised:
            sealed_today = sealed_today.filter(receiving_point_id=point)
        cash = list(
            sealed_today.values("payment_method")
            .annotate(
                count=Count("pk"),
                total=Sum("total_due"),
                fees=Sum("procedure_fee"),
            )
            .order_by("payment_method")
        )
        labels = dict(PaymentMethod.choices)
        for row in cash:
            row["label"] = labels.get(row["payment_method"], _("Nothing to pay"))
            row["postal"] = (row["total"] or 0) - (row["fees"] or 0)
    counts = (
        Dossier.objects.filter(receiving_point_id__in=point_ids, practice=practice)
        .filter(status__in=(State.DRAFT, State.SEALED))
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = {row["status"]: row["n"] for row in counts}
    return render(
        request,
        "dossiers/today.html",
        {
            "page_obj": page,
            "view": view,
            "views": VIEWS,
            "query": query,
            "status": status,
            "statuses": State.choices,
            "point": point,
            "cash": cash,
            "counts": counts,
            **extra,
        },
    )
