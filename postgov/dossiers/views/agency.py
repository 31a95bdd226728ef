"""The agency's pages: the inbox sorted by due date with counts per state, a dossier with
its actions and forms. The hand-over of a manifest sits with the postman's side of it
(`dossiers/carriage/agency_views.py`)."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from postgov.delivery.models import Manifest
from postgov.dossiers.actions import TransitionError, allowed_actions, visible_dossiers
from postgov.dossiers.agency.actions import (
    AGENCY_ACTIONS,
    FORM_OF_ACTION,
    ApologyRequired,
    Who,
    act,
)
from postgov.dossiers.agency.official_forms import FORM_TITLES, render_event_form
from postgov.dossiers.agency.web_forms import ACTION_FORMS, LateResultForm, NoteForm
from postgov.dossiers.clock import (
    DUE_SOON,
    LATE,
    Calendars,
    deadline,
    due_soon_until,
    standing_filter,
    suggested_appointment,
)
from postgov.dossiers.models import Dossier, DossierEvent
from postgov.dossiers.workflow import State, transition
from postgov.identity.access import role_required
from postgov.identity.models import AGENCY_ROLES

AGENCY_SEGMENT = [State.HANDED_OVER, State.ACCEPTED, State.PROCESSING]
OPEN = [
    State.IN_TRANSIT,
    *AGENCY_SEGMENT,
    State.SUPPLEMENT_REQUESTED,
    State.SUPPLEMENT_SEALED,
    State.SUPPLEMENT_IN_TRANSIT,
    State.FINANCIAL_OBLIGATION,
]
DONE = [
    State.RESULT_READY,
    State.REFUSED,
    State.STOPPED,
    State.WITHDRAWN,
    State.RESULT_COLLECTED,
    State.OUT_FOR_DELIVERY,
    State.HELD_AT_OFFICE,
    State.DELIVERED,
    State.RETURNED,
]
TABS = {
    "open": OPEN,
    "incoming": [State.IN_TRANSIT, State.HANDED_OVER, State.SUPPLEMENT_IN_TRANSIT],
    "processing": [State.ACCEPTED, State.PROCESSING],
    "waiting": [State.SUPPLEMENT_REQUESTED, State.SUPPLEMENT_SEALED, State.FINANCIAL_OBLIGATION],
    "due_soon": AGENCY_SEGMENT,
    "overdue": AGENCY_SEGMENT,
    "done": DONE,
}
ONE_CLICK = frozenset({"accept", "start_processing", "supplement_received", "payment_received"})


def agency_dossiers(access):
    return Dossier.objects.filter(agency__in=access.agency_ids(*AGENCY_ROLES))


def _agency_ids(request) -> list[int]:
    ids = sorted(request.access.agency_ids(*AGENCY_ROLES))
    chosen = request.GET.get("agency", "")
    if chosen.isdigit() and int(chosen) in ids:
        return [int(chosen)]
    return ids


def due_soon_windows(agency_ids, now, calendars: Calendars) -> dict[int, datetime]:
    """Each agency's due-soon window, on its own calendar (clock.due_soon_until)."""
    return {
        agency_id: due_soon_until(calendars.for_agency(agency_id), now) for agency_id in agency_ids
    }


@require_GET
@role_required(*AGENCY_ROLES)
def inbox(request):
    ids = _agency_ids(request)
    base = Dossier.objects.filter(agency__in=ids)
    tab = request.GET.get("tab", "open")
    if tab not in TABS:
        tab = "open"
    now = timezone.now()
    windows = due_soon_windows(ids, now, Calendars())
    late = standing_filter(LATE, now, windows)
    due_soon = standing_filter(DUE_SOON, now, windows)
    queryset = base.filter(status__in=TABS[tab])
    if tab == "due_soon":
        queryset = queryset.filter(due_soon)
    elif tab == "overdue":
        queryset = queryset.filter(late)
    query = (request.GET.get("q") or "").strip()[:60]
    if query:
        queryset = queryset.filter(Q(code__icontains=query) | Q(applicant_name__icontains=query))
    if tab == "done":
        queryset = queryset.order_by("-updated_at", "-id")
    else:
        queryset = queryset.order_by(F("due_at").asc(nulls_last=True), "id")
    # Only what the rows show (and the deadline badge needs): a narrow page sorts in memory.
    queryset = queryset.select_related("procedure_version__procedure").only(
        "id",
        "code",
        "status",
        "applicant_name",
        "due_at",
        "clock_paused_at",
        "agency_id",
        "updated_at",
        "procedure_version__id",
        "procedure_version__procedure__id",
        "procedure_version__procedure__name",
    )
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    counts = dict(
        base.filter(status__in=OPEN).values_list("status").annotate(n=Count("id")).order_by()
    )
    agency_open = base.filter(status__in=AGENCY_SEGMENT)
    tab_counts = {
        "open": sum(counts.values()),
        "incoming": sum(counts.get(s, 0) for s in TABS["incoming"]),
        "processing": sum(counts.get(s, 0) for s in TABS["processing"]),
        "waiting": sum(counts.get(s, 0) for s in TABS["waiting"]),
        "due_soon": agency_open.filter(due_soon).count(),
        "overdue": agency_open.filter(late).count(),
    }
    manifests = (
        Manifest.objects.filter(
            agency__in=ids,
            direction=Manifest.Direction.OUTBOUND,
            status__in=[Manifest.Status.DISPATCHED, Manifest.Status.PRESENTED],
        )
        .select_related("service_point", "postman")
        .annotate(n=Count("items"))
        .order_by("-status", "dispatched_at")
    )
    return render(
        request,
        "dossiers/agency/inbox.html",
        {
            "page_obj": page,
            "tab": tab,
            "tabs": [
                (key, label, tab_counts.get(key))
                for key, label in (
                    ("open", _("All open")),
                    ("incoming", _("Incoming")),
                    ("processing", _("Processing")),
                    ("waiting", _("Waiting for the citizen")),
                    ("due_soon", _("Due soon")),
                    ("overdue", _("Overdue")),
                    ("done", _("Done")),
                )
            ],
            "state_counts": [(State(s).label, counts.get(s, 0)) for s in OPEN],
            "q": query,
            "manifests": manifests,
            "agencies": request.access.agency_ids(*AGENCY_ROLES),
            "first_forms": _first_forms([d.pk for d in page]),
        },
    )


def _first_forms(dossier_ids: list[int]) -> dict[int, int]:
    """The latest form-issuing event of each dossier on the page: one click to the form."""
    latest: dict[int, int] = {}
    events = DossierEvent.objects.filter(
        dossier_id__in=dossier_ids, action__in=list(FORM_OF_ACTION)
    ).values_list("dossier_id", "id")
    for dossier_id, event_id in events.order_by("at", "id"):
        latest[dossier_id] = event_id
    return latest


def _form_events(dossier: Dossier):
    events = dossier.events.filter(action__in=list(FORM_OF_ACTION)).order_by("at", "id")
    return [(event, FORM_OF_ACTION[event.action]) for event in events]


@require_GET
@role_required(*AGENCY_ROLES)
def dossier_page(request, pk: int):
    dossier = get_object_or_404(
        agency_dossiers(request.access).select_related(
            "procedure_version__procedure", "receiving_point", "agency"
        ),
        pk=pk,
    )
    steps = [t for t in allowed_actions(dossier, request.access) if t.action in AGENCY_ACTIONS]
    return render(
        request,
        "dossiers/agency/dossier.html",
        {
            "dossier": dossier,
            "steps": steps,
            "one_click": ONE_CLICK,
            "events": dossier.events.select_related("actor").order_by("at", "id"),
            "forms": _form_events(dossier),
            "form_titles": FORM_TITLES,
            "documents": dossier.documents.all(),
            "results": dossier.result_documents.all(),
            "attachments": dossier.attachments.select_related("event").order_by("id"),
        },
    )


@require_GET
@role_required(*AGENCY_ROLES)
def attachment_file(request, pk: int, attachment_id: int):
    """A document attached to a step of one of the agency's dossiers, as it was sent."""
    dossier = get_object_or_404(agency_dossiers(request.access), pk=pk)
    attachment = get_object_or_404(dossier.attachments, pk=attachment_id)
    with attachment.file.open("rb") as stored:
        response = HttpResponse(stored.read(), content_type=attachment.content_type)
    extension = attachment.file.name.rsplit(".", 1)[-1]
    response["Content-Disposition"] = f'attachment; filename="{attachment.sha256[:16]}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
@role_required(*AGENCY_ROLES)
def dossier_action(request, pk: int, action: str):
    dossier = get_object_or_404(agency_dossiers(request.access), pk=pk)
    if action not in AGENCY_ACTIONS:
        raise Http404
    step = transition(action)
    info = deadline(dossier)
    form_class = ACTION_FORMS.get(action, NoteForm)
    if action == "result_ready" and info.late:
        form_class = LateResultForm
    posted = request.method == "POST"
    initial = {}
    if form_class is LateResultForm:
        suggested = suggested_appointment(dossier, timezone.now())
        initial["new_due"] = timezone.localtime(suggested).strftime("%Y-%m-%dT%H:%M")
    form = form_class(
        request.POST if posted else None, request.FILES if posted else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            dossier, event = act(
                dossier.pk,
                action,
                Who(actor=request.user, access=request.access, request=request),
                **form.action_data(),
            )
        except ApologyRequired as exc:
            # It went late while the page was open: ask for Form 04, keep what was typed.
            form = LateResultForm(request.POST, request.FILES, initial=initial)
            form.is_valid()
            form.add_error(None, str(exc))
            info = deadline(dossier)
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Done: %(step)s.") % {"step": step.label})
            target = reverse("dossiers:agency_dossier", args=[dossier.pk])
            apology = event.details.get("apology_event")
            if action in FORM_OF_ACTION or apology:
                target += f"?form={apology or event.pk}"
            return redirect(target)
    return render(
        request,
        "dossiers/agency/action.html",
        {
            "dossier": dossier,
            "step": step,
            "form": form,
            "form_number": "04" if isinstance(form, LateResultForm) else FORM_OF_ACTION.get(action),
            "form_titles": FORM_TITLES,
            "late": info.late,
            "deadline": info,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def form_pdf(request, pk: int, event_id: int):
    """A form of the dossier, for whoever may see the dossier (the agency, the post office
    that gives the citizen their copy, oversight)."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('identity:login')}?next={request.path}")
    dossier = get_object_or_404(
        visible_dossiers(request.access).select_related(
            "agency__commune", "agency__province", "procedure_version__procedure"
        ),
        pk=pk,
    )
    event = get_object_or_404(DossierEvent, pk=event_id, dossier=dossier)
    try:
        name, data = render_event_form(dossier, event)
    except ValueError as exc:
        raise Http404 from exc
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
