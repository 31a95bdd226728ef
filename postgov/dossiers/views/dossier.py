"""A dossier at the counter: its page, its printed forms, cancelling a draft."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from postgov.audit.actions import record
from postgov.dossiers.actions import TransitionError, allowed_actions, visible_dossiers
from postgov.dossiers.intake import common as intake_common
from postgov.dossiers.intake import drafts, printing
from postgov.dossiers.intake.forms import (
    CancelForm,
)
from postgov.dossiers.models import Dossier
from postgov.dossiers.practice import in_practice
from postgov.dossiers.workflow import BY_ACTION, State
from postgov.identity.access import role_required
from postgov.identity.models import POINT_ROLES

RELATED = (
    "procedure_version__procedure",
    "receiving_point__commune__province",
    "agency",
    "fee_option",
    "exemption",
    "applicant_commune",
    "return_commune",
    "return_point",
)


def visible(request, pk: int) -> Dossier:
    queryset = visible_dossiers(
        request.access, Dossier.objects.select_related(*RELATED), practice=in_practice(request)
    )
    return get_object_or_404(queryset, pk=pk)


def int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@role_required()
@require_GET
def dossier_detail(request, pk: int):
    dossier = visible(request, pk)
    events = [
        (event, BY_ACTION[event.action].label if event.action in BY_ACTION else event.code)
        for event in dossier.events.select_related("actor", "service_point", "agency")
    ]
    return render(
        request,
        "dossiers/dossier.html",
        {
            "dossier": dossier,
            "events": events,
            "items": dossier.items.all(),
            "documents": dossier.documents.select_related("required"),
            "scans": dossier.scans.all(),
            "actions": [a.action for a in allowed_actions(dossier, request.access)],
            "can_edit": dossier.status == State.DRAFT
            and intake_common.can_receive_at(request.access, dossier.receiving_point_id),
            "just_sealed": request.GET.get("sealed") == "1",
            "cancel_form": CancelForm(),
        },
    )


@role_required()
@require_GET
def print_form(request, pk: int, which: str):
    dossier = visible(request, pk)
    if which == "guidance":
        if dossier.status != State.DRAFT:
            raise Http404
    elif which not in printing.FORMS or dossier.sealed_at is None:
        raise Http404
    data = printing.render(printing.load(dossier.pk), which)
    record(
        "dossier.printed",
        request=request,
        obj=dossier,
        service_point_id=dossier.receiving_point_id,
        details={"form": which, "code": dossier.code or ""},
    )
    response = HttpResponse(data, content_type="application/pdf")
    name = f"{dossier.code or f'nhap-{dossier.pk}'}-{which}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@role_required(*POINT_ROLES)
@require_POST
def cancel(request, pk: int):
    dossier = visible(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give the reason."))
        return redirect("dossiers:dossier", pk=pk)
    try:
        drafts.cancel_draft(
            dossier.pk,
            note=form.cleaned_data["note"],
            actor=request.user,
            access=request.access,
            request=request,
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The draft was cancelled."))
    return redirect("dossiers:dossier", pk=pk)
