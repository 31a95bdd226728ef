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
POINT = "places.servicepoint"  # object_type as record() stores it
AGENCY = "agencies.agency"


def events_in_scope(access):
    """The events about the provinces the user oversees.

    An event belongs to a province through the place it records: a service point (its
    commune's province) or an agency — every dossier, delivery and proofing event records
    one — or, recording none, through its subject when that is one of the province's
    points or agencies (an administrator's change), or through its actor when the actor
    holds a role there (a clerk's login). Citizens' own account activity (logins, second
    factors, consents to portals) records no place and belongs to no province, so no
    provincial oversight sees it; neither do national events (reference data loaded by a
    command, key rotations). Seeing those takes a national role, which would see every
    event."""
    provinces = access.province_ids()
    points = list(
        ServicePoint.objects.filter(commune__province__in=provinces).values_list("pk", flat=True)
    )
    agencies = list(Agency.objects.filter(province__in=provinces).values_list("pk", flat=True))
    staff = RoleAssignment.objects.filter(
        Q(service_point__commune__province__in=provinces)
        | Q(agency__province__in=provinces)
        | Q(province__in=provinces)
    ).values("user_id")
    placed = Q(service_point_id__in=points) | Q(agency_id__in=agencies)
    about = (
        Q(actor_id__in=staff)
        | Q(object_type=POINT, object_id__in=[str(pk) for pk in points])
        | Q(object_type=AGENCY, object_id__in=[str(pk) for pk in agencies])
    )
    return AuditEvent.objects.filter(placed | (Q(service_point_id=None, agency_id=None) & about))


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
