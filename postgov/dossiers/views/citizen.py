"""A signed-in citizen's own dossiers ("my dossiers"), found by the ID number a counter
verified on their account (`identity.access.own_dossiers`). Each page that shows them is
in the audit trail, as every view of someone's dossier is."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from postgov.audit.actions import record
from postgov.dossiers.tracking import lookup as tracking
from postgov.identity.access import own_dossiers, verified_id_number

PAGE_SIZE = 20


def masked_id(number: str) -> str:
    """Only the last three digits, as the account page shows its own."""
    return "*" * max(0, len(number) - 3) + number[-3:]


def _mine(request):
    return own_dossiers(request.user, tracking.tracked_dossiers())


@login_required
@require_GET
def my_dossiers(request):
    user = request.user
    number = verified_id_number(user)
    context = {"verified": bool(number), "declared": bool(user.declared_id_number)}
    if number:
        page = Paginator(_mine(request).order_by("-sealed_at", "-id"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context.update(page_obj=page, masked_id=masked_id(number))
        record(
            "citizen.dossiers_viewed",
            request=request,
            obj=user,
            details={"page": page.number, "dossiers": [d.pk for d in page]},
        )
    response = render(request, "dossiers/my_dossiers.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def my_dossier(request, pk: int):
    dossier = _mine(request).filter(pk=pk).first()
    if dossier is None:
        raise Http404
    result = tracking.describe(dossier)
    # The account proves the applicant: the receipt and appointment slip is theirs.
    result.form_token = tracking.form_token(dossier)
    record(
        "citizen.dossier_viewed",
        request=request,
        obj=dossier,
        agency_id=dossier.agency_id,
        details={"code": dossier.code},
    )
    response = render(
        request,
        "dossiers/my_dossier.html",
        {
            "result": result,
            "dossier": dossier,
            "owner": {
                "name": dossier.applicant_name,
                "masked_id": masked_id(dossier.applicant_id_number),
            },
        },
    )
    response["Cache-Control"] = "no-store"
    return response
