"""The audit trail, for auditors and provincial administrators."""

from __future__ import annotations

import functools
import operator
import re

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from postgov.agencies.models import Agency
from postgov.audit.actions import record, verify_chain
from postgov.audit.models import AuditEvent
from postgov.audit.registry import objects_coded
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


# What a search box holds: the object column as the page shows it ("dossiers.dossier:22"),
# an event number ("#120"), a bare number, or words (a code, a username, an action).
SHOWN_OBJECT = re.compile(r"^([a-z_]+(?:\.[a-z_]+)?):(\S{1,64})$")
EVENT_NUMBER = re.compile(r"^#?([0-9]{1,18})$")
ACTION_PREFIX = re.compile(r"^[a-z0-9_]+(?:\.[a-z0-9_]*)*$")


def _about(object_type: str, *pks) -> Q:
    return Q(object_type=object_type, object_id__in=[str(pk) for pk in pks])


def _coded_objects(code: str) -> list[Q]:
    """The events about what a code names, as the apps that issue codes find it
    (`postgov/audit/registry.py`): each finder is one lookup of a unique code, then the
    events come from their (object type, object id) index."""
    return [_about(object_type, object_id) for object_type, object_id in objects_coded(code)]


def _action_starting_with(prefix: str) -> Q:
    """On PostgreSQL a LIKE 'prefix%' uses the action's pattern index; SQLite's LIKE is
    case-insensitive and uses no index, but actions are ASCII and SQLite compares bytes, so
    there the same events are a range of the action's index."""
    if connection.vendor == "sqlite":
        return Q(action__gte=prefix, action__lt=prefix[:-1] + chr(ord(prefix[-1]) + 1))
    return Q(action__startswith=prefix)


def search(queryset, text: str):
    """Events matching what an auditor types, each branch an indexed lookup (no scan of
    the trail per search): ids match exactly, never as a part of a longer id."""
    text = " ".join(text.split())
    if not text:
        return queryset
    shown = SHOWN_OBJECT.match(text)
    if shown:
        return queryset.filter(object_type=shown[1], object_id=shown[2])
    number = EVENT_NUMBER.match(text)
    if number:
        if text.startswith("#"):
            return queryset.filter(seq=int(number[1]))
        return queryset.filter(Q(seq=int(number[1])) | Q(object_id=number[1]))
    wanted = _coded_objects(text)
    actors = list(
        get_user_model().objects.filter(username__iexact=text).values_list("pk", flat=True)
    )
    if actors:
        wanted.append(Q(actor_id__in=actors))
    if ACTION_PREFIX.match(text.lower()):
        wanted.append(_action_starting_with(text.lower()))
    if not wanted:
        return queryset.none()
    return queryset.filter(functools.reduce(operator.or_, wanted))


@require_GET
@role_required(*OVERSIGHT)
def events(request):
    queryset = events_in_scope(request.access)
    text = (request.GET.get("q") or "")[:100]
    action = (request.GET.get("action") or "")[:80]
    actor = (request.GET.get("actor") or "")[:150]
    obj = (request.GET.get("object") or "")[:64]
    queryset = search(queryset, text)
    if action:
        queryset = queryset.filter(action__startswith=action)
    if actor:
        queryset = queryset.filter(actor_label__iexact=actor)
    if obj:
        queryset = queryset.filter(object_id=obj)
    page = Paginator(queryset.order_by("-seq"), 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # what was found, before the search is recorded
    if text:
        # Who looked for what (a dossier, a person's actions) is itself worth a trace.
        record(
            "audit.searched",
            request=request,
            details={"q": text, "page": page.number, "found": page.paginator.count},
        )
    return render(
        request,
        "audit/events.html",
        {
            "page_obj": page,
            "filters": {"q": text, "action": action, "actor": actor, "object": obj},
        },
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
