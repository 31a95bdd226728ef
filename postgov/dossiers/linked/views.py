"""Linked packages at the counter: the list of linked procedures, the one-page intake, the
package's page with its parts' roll-up and its one return."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from postgov.audit.actions import record
from postgov.catalog.models import LinkedProcedure
from postgov.delivery.models import ProofOfDelivery
from postgov.dossiers.actions import TransitionError
from postgov.dossiers.carriage.returns import Place, Proof, SameDigits
from postgov.dossiers.carriage.trip_views import ProofForm
from postgov.dossiers.intake.common import (
    Applicant,
    IntakeError,
    can_receive_at,
    intake_points,
)
from postgov.dossiers.linked import actions, queries
from postgov.dossiers.linked import printing as package_printing
from postgov.dossiers.linked.forms import PackageForm
from postgov.dossiers.linked.models import LinkedDossier
from postgov.dossiers.workflow import State
from postgov.identity.access import role_required
from postgov.identity.models import POINT_ROLES

FEE_LABELS = {
    "procedure_fee": gettext_lazy("Procedure fee"),
    "postage_out": gettext_lazy("Postage to the agency"),
    "remittance_fee": gettext_lazy("Fee-remittance charge"),
    "postage_back": gettext_lazy("Postage of the results (one item)"),
}


@role_required(*POINT_ROLES)
@require_GET
def linked_list(request):
    access = request.access
    packages = queries.packages_visible(
        access, LinkedDossier.objects.select_related("linked_procedure")
    )[:30]
    return render(
        request,
        "dossiers/linked/list.html",
        {
            "procedures": LinkedProcedure.objects.filter(active=True).prefetch_related(
                "members__procedure"
            ),
            "packages": packages,
        },
    )


@role_required(*POINT_ROLES)
@require_http_methods(["GET", "POST"])
def package_new(request, code: str):
    linked = get_object_or_404(LinkedProcedure, code=code, active=True)
    points = intake_points(request.access)
    if not points:
        raise PermissionDenied
    checklist = queries.package_checklist(linked)
    province_id = points[0].commune.province_id
    form_kwargs = {"points": points, "province_id": province_id, "checklist": checklist}
    problems: list[str] = []
    if request.method == "POST":
        form = PackageForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            if not can_receive_at(request.access, data["point"].pk):
                raise PermissionDenied
            intake = actions.PackageIntake(
                token=data["token"],
                linked=linked,
                point=data["point"],
                applicant=Applicant(
                    name=data["name"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    address=data["address"],
                    commune=data["commune"],
                ),
                present=set(data["documents"]),
                return_method=data["return_method"],
                return_address=data["return_address"] or data["address"],
                return_commune=data["commune"],
                return_point=data["point"],
                payment_method=data["payment_method"],
                payment_reference=data["payment_reference"],
            )
            try:
                package = actions.take_in(
                    intake, actor=request.user, access=request.access, request=request
                )
            except IntakeError as exc:
                problems = exc.problems
            else:
                messages.success(
                    request,
                    _("Package %(code)s received: one code for the citizen, one total.")
                    % {"code": package.code},
                )
                return redirect("dossiers:package", pk=package.pk)
    else:
        form = PackageForm(initial={"token": uuid.uuid4(), "point": points[0].pk}, **form_kwargs)
    return render(
        request,
        "dossiers/linked/new.html",
        {
            "linked": linked,
            "form": form,
            "problems": problems,
            "members": linked.members.select_related("procedure").order_by("step", "id"),
        },
        status=400 if request.method == "POST" else 200,
    )


def _proof(form: ProofForm) -> Proof:
    data = form.cleaned_data
    return Proof(
        recipient_name=data["recipient_name"],
        id_last4=data["id_last4"],
        relation=data["relation"],
        relation_note=data["relation_note"],
        signature=form.signature_png(),
        unsigned=form.unsigned(),
        place=Place.parse(data["latitude"], data["longitude"], data["accuracy"]),
        same_digits_confirmed=data["same_digits"],
    )


def _visible_package(request, pk: int) -> LinkedDossier:
    return get_object_or_404(
        queries.packages_visible(
            request.access,
            LinkedDossier.objects.select_related("linked_procedure", "receiving_point"),
        ),
        pk=pk,
    )


@role_required()
@require_GET
def package_receipt(request, pk: int):
    """The citizen's one receipt for the package, to those who may see the package."""
    package = _visible_package(request, pk)
    data = package_printing.render(package)
    record(
        "dossier.printed",
        request=request,
        obj=package,
        service_point_id=package.receiving_point_id,
        details={"form": "package_receipt", "code": package.code},
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{package.code}-bien-nhan.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@role_required()
@require_http_methods(["GET", "POST"])
def package_detail(request, pk: int):
    package = _visible_package(request, pk)
    view = queries.rollup(package)
    parts = [v.part for v in view.parts]
    lead = queries.lead_part(parts)
    returns_here = lead is not None and request.access.can_act_at_point(
        lead.dossier.return_point_id or lead.dossier.receiving_point_id, *POINT_ROLES
    )
    step = request.POST.get("step", "") if request.method == "POST" else ""
    proof_form = ProofForm(request.POST if step == "deliver" else None)
    who = {"user": request.user, "access": request.access, "request": request}
    if request.method == "POST":
        if not returns_here:
            raise PermissionDenied
        try:
            if step == "out":
                actions.out_for_delivery(package.pk, **who)
                messages.success(request, _("Every result of the package is out for delivery."))
                return redirect("dossiers:package", pk=package.pk)
            if step == "deliver" and proof_form.is_valid() and lead is not None:
                actions.deliver(
                    package.pk,
                    _proof(proof_form),
                    at_counter=lead.dossier.status == State.HELD_AT_OFFICE,
                    **who,
                )
                messages.success(request, _("Delivered: every result, one proof."))
                return redirect("dossiers:package", pk=package.pk)
        except SameDigits as exc:
            proof_form.add_error("id_last4", str(exc))
        except TransitionError as exc:
            if step == "deliver":
                proof_form.add_error(None, str(exc))
            else:
                messages.error(request, str(exc))
        view = queries.rollup(package)
        lead = queries.lead_part([v.part for v in view.parts])
    lead_status = lead.dossier.status if lead else ""
    return render(
        request,
        "dossiers/linked/package.html",
        {
            "package": package,
            "view": view,
            "fee_lines": [
                {**line, "label": FEE_LABELS.get(line["kind"], line["kind"])}
                for line in package.fee_lines
            ],
            "return_item": queries.package_return_item(lead.dossier) if lead else None,
            "can_go_out": returns_here
            and queries.return_ready(parts)
            and any(v.status == State.RESULT_COLLECTED for v in view.parts),
            "can_deliver": returns_here
            and lead_status in (State.OUT_FOR_DELIVERY, State.HELD_AT_OFFICE),
            "proof_form": proof_form,
            "proof": ProofOfDelivery.objects.filter(dossier__package_part__package=package).first(),
        },
        status=400 if request.method == "POST" else 200,
    )
