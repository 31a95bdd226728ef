"""The audit trail, for auditors and provincial administrators."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from postgov.agencies.models import Agency
from postgov.audit.actions import record, verify_chain
from postgov.audit.models import AuditEvent
from postgov.identity.access import role_required
from postgov.identity.models import Role, RoleAssignment
from postgov.places.models import ServicePoint

OVERSIGHT = (Role.AUDITOR, Role.PROVINCIAL_ADMIN)


def events_in_scope(access):
    """Events at the points and agencies of the provinces the user oversees, by people who
    work there, and those tied to no place (citizens' own account events)."""
    provinces = access.province_ids()
    points = ServicePoint.objects.filter(commune__province__in=provinces).values("pk")
    agencies = Agency.objects.filter(province__in=provinces).values("pk")
    staff = RoleAssignment.objects.filter(
        Q(service_point__commune__province__in=provinces)
        | Q(agency__province__in=provinces)
        | Q(province__in=provinces)
    ).values("user_id")
    staff_anywhere = RoleAssignment.objects.values("user_id")
    return AuditEvent.objects.filter(
        Q(service_point_id__in=points)
        | Q(agency_id__in=agencies)
        | Q(service_point_id=None, agency_id=None, actor_id__in=staff)
        | (Q(service_point_id=None, agency_id=None) & ~Q(actor_id__in=staff_anywhere))
    )


@require_GET
@role_required(*OVERSIGHT)
def events(request):
    queryset = events_in_scope(request.access)
    action = (request.GET.get("action") or "")[:80]
    actor = (request.GET.get("actor") or "")[:150]
    obj = (request.GET.get("object") or "")[:64]
    if action:
        queryset = queryset.filter(action__startswith=action)
    if actor:
        queryset = queryset.filter(actor_label__iexact=actor)
    if obj:
        queryset = queryset.filter(object_id=obj)
    page = Paginator(queryset.order_by("-seq"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/events.html",
        {"page_obj": page, "filters": {"action": action, "actor": actor, "object": obj}},
    )


@require_POST
@role_required(*OVERSIGHT)
def verify(request):
    checked, problems = verify_chain()
    record(
        "audit.verified", request=request, details={"checked": checked, "problems": len(problems)}
    )
    if problems:
        messages.error(
            request,
            _("The audit chain is broken: %(n)s problem(s). First: %(first)s")
            % {"n": len(problems), "first": problems[0]},
        )
    else:
        messages.success(
            request, _("The audit chain is intact: %(n)s events checked.") % {"n": checked}
        )
    return redirect("audit:events")
