"""The counter's intake wizard: applicant, checklist and scans, route and fees, confirm."""

from __future__ import annotations

import math
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postgov.catalog import catalog_access
from postgov.delivery import actions as delivery
from postgov.delivery.models import PickupBooking
from postgov.dossiers.actions import TransitionError
from postgov.dossiers.intake import common as intake_common
from postgov.dossiers.intake import drafts, pricing, sealing
from postgov.dossiers.intake.common import address_conversion
from postgov.dossiers.intake.forms import (
    ApplicantForm,
    ChecklistForm,
    ConfirmForm,
    RouteFeesForm,
)
from postgov.dossiers.intake.scans import ScanError
from postgov.dossiers.models import Dossier, PaymentMethod, ServiceOption
from postgov.dossiers.views.dossier import RELATED, int_or_none, visible
from postgov.dossiers.workflow import State
from postgov.identity.access import role_required
from postgov.identity.models import POINT_ROLES
from postgov.lib.idcard import Gender, IdCardError, parse_qr
from postgov.places import positions

STEPS = (
    ("applicant", "dossiers:intake_applicant"),
    ("checklist", "dossiers:intake_checklist"),
    ("fees", "dossiers:intake_fees"),
    ("confirm", "dossiers:intake_confirm"),
)


def _draft(request, pk: int) -> Dossier:
    """A draft this person may work on (404 when they may not even see it)."""
    dossier = visible(request, pk)
    if not intake_common.can_receive_at(request.access, dossier.receiving_point_id):
        raise PermissionDenied
    return dossier


def _context(dossier: Dossier | None, step: str, **extra) -> dict:
    return {"dossier": dossier, "step": step, "steps": STEPS, **extra}


def _applicant_initial(dossier: Dossier) -> dict:
    return {
        "token": dossier.intake_token,
        "point": dossier.receiving_point_id,
        "pickup": dossier.pickup_id,
        "name": dossier.applicant_name,
        "id_number": dossier.applicant_id_number,
        "birth_date": dossier.applicant_birth_date,
        "gender": dossier.applicant_gender,
        "address": dossier.applicant_address,
        "commune": dossier.applicant_commune_id,
        "phone": dossier.applicant_phone,
        "email": dossier.applicant_email,
        "representative_name": dossier.representative_name,
        "representative_id_number": dossier.representative_id_number,
        "representative_document": dossier.representative_document,
        "service_option": dossier.service_option,
        "procedure": dossier.procedure_version.procedure_id,
    }


def _booking_for(request, pickup_id) -> PickupBooking | None:
    if not pickup_id:
        return None
    booking = PickupBooking.objects.select_related("service_point", "procedure").filter(
        pk=pickup_id
    )
    booking = booking.first()
    if booking is None or not delivery.can_visit(request.access, booking):
        raise PermissionDenied
    if booking.status != PickupBooking.Status.ASSIGNED:
        raise PermissionDenied
    return booking


def _applicant_page(request, dossier: Dossier | None):
    access = request.access
    points = intake_common.intake_points(access)
    if not points:
        raise PermissionDenied
    data = request.POST.copy() if request.method == "POST" else None
    pickup_id = (data or request.GET).get("pickup") if dossier is None else dossier.pickup_id
    booking = _booking_for(request, pickup_id)
    if booking is not None:
        points = [booking.service_point]
    point_ids = {p.pk for p in points}
    focus, qr_error, conversion = "qr", "", None

    if data is None:
        if dossier is not None:
            initial = _applicant_initial(dossier)
            focus = "phone"
        else:
            initial = {
                "token": uuid.uuid4(),
                "point": points[0].pk,
                "service_option": ServiceOption.BOTH,
            }
            if booking is not None:
                initial.update(
                    pickup=booking.pk,
                    point=booking.service_point_id,
                    name=booking.name,
                    phone=booking.phone,
                    address=booking.address,
                    commune=booking.commune_id,
                    procedure=booking.procedure_id,
                )
        form = None
    else:
        action = data.get("action", "auto")
        if action == "auto":
            if data.get("qr", "").strip():
                action = "scan"
            elif data.get("q", "").strip() != data.get("q_done", ""):
                action = "search"
            else:
                action = "next"
        form = None
        if action == "scan":
            try:
                card = parse_qr(data.get("qr", ""))
            except IdCardError as exc:
                qr_error = str(exc)
            else:
                data["name"] = card.full_name
                data["id_number"] = card.id_number
                data["birth_date"] = card.birth_date.strftime("%d/%m/%Y")
                data["gender"] = card.gender
                data["address"] = card.address
                data["qr"] = ""
                focus = "phone"
                conversion = address_conversion(card.address)
                if conversion is not None and conversion.commune is not None:
                    # The card carries the old units; the record keeps the street line
                    # and the new commune, which together print the address once.
                    data["commune"] = str(conversion.commune.pk)
                    data["address"] = conversion.street
        elif action == "search":
            data["q_done"] = data.get("q", "")
            focus = "q"
        if action != "next":
            initial = {key: data.get(key) for key in data}
            if data.get("qr") and qr_error:
                initial["qr"] = data["qr"]
        else:
            form = _bound_applicant(data, points, access)
            if form.is_valid():
                response = _save_applicant(request, form, dossier, point_ids, booking)
                if response is not None:
                    return response
            focus = next(iter(form.errors), "qr") if form.errors else "qr"
            if focus == "__all__":
                focus = "qr"
    if form is None:
        form = ApplicantForm(
            initial=initial, points=points, province_id=points[0].commune.province_id
        )
    if focus in form.fields and focus not in ("qr", "q"):
        form.fields[focus].widget.attrs["autofocus"] = True
    values = form.data if form.is_bound else form.initial
    query = values.get("q", "") or ""
    point_id = int_or_none(values.get("point")) or points[0].pk
    procedures = (
        catalog_access.procedure_choices(query)
        if query
        else catalog_access.frequent_procedures(point_id)
    )
    chosen = int_or_none(values.get("procedure"))
    if chosen and chosen not in {p.pk for p in procedures}:
        procedures = catalog_access.procedure_choices_by_ids([chosen]) + procedures
    if conversion is None and values.get("address") and request.method == "POST":
        conversion = address_conversion(values.get("address"))
    return render(
        request,
        "dossiers/intake/applicant.html",
        _context(
            dossier,
            "applicant",
            form=form,
            focus=focus,
            qr_error=qr_error,
            conversion=conversion,
            procedures=procedures,
            chosen_procedure=chosen,
            query=query,
            q_done=values.get("q_done", query) or "",
            booking=booking,
            male=Gender.MALE,
        ),
    )


def _bound_applicant(data, points, access) -> ApplicantForm:
    return ApplicantForm(data, points=points, province_id=points[0].commune.province_id)


def _save_applicant(request, form, dossier, point_ids, booking):
    data = form.cleaned_data
    applicant = intake_common.Applicant(
        name=data["name"],
        id_number=data["id_number"],
        phone=data["phone"],
        birth_date=data.get("birth_date"),
        gender=data.get("gender") or "",
        email=data.get("email") or "",
        address=data.get("address") or "",
        commune=data.get("commune"),
        representative_name=data.get("representative_name") or "",
        representative_id_number=data.get("representative_id_number") or "",
        representative_document=data.get("representative_document") or "",
    )
    try:
        if dossier is None:
            point = data["point"]
            if point.pk not in point_ids:
                raise PermissionDenied
            dossier = drafts.start_draft(
                token=data["token"],
                point=point,
                version=form.version,
                service_option=data["service_option"],
                applicant=applicant,
                actor=request.user,
                access=request.access,
                request=request,
                pickup=booking,
            )
        else:
            if form.version.pk != dossier.procedure_version_id:
                form.add_error(
                    "procedure",
                    _("To change the procedure, cancel this draft and start a new dossier."),
                )
                return None
            dossier = drafts.update_applicant(
                dossier.pk,
                applicant,
                service_option=data["service_option"],
                actor=request.user,
                access=request.access,
                request=request,
            )
    except intake_common.IntakeError as exc:
        for problem in exc.problems:
            form.add_error(None, problem)
        return None
    return redirect("dossiers:intake_checklist", pk=dossier.pk)


@role_required(*POINT_ROLES)
@require_http_methods(["GET", "POST"])
def intake_start(request):
    return _applicant_page(request, None)


@role_required(*POINT_ROLES)
@require_http_methods(["GET", "POST"])
def intake_applicant(request, pk: int):
    dossier = _draft(request, pk)
    if dossier.status != State.DRAFT:
        return redirect("dossiers:dossier", pk=pk)
    return _applicant_page(request, dossier)


@role_required(*POINT_ROLES)
@require_GET
def procedure_search(request):
    """htmx: the procedure list for the words typed so far."""
    query = request.GET.get("q", "")[:200]
    point_id = int_or_none(request.GET.get("point"))
    if not query and point_id and intake_common.can_receive_at(request.access, point_id):
        procedures = catalog_access.frequent_procedures(point_id)
    else:
        procedures = catalog_access.procedure_choices(query)
    return render(
        request,
        "dossiers/intake/_procedures.html",
        {
            "procedures": procedures,
            "chosen_procedure": int_or_none(request.GET.get("procedure")),
            "query": query,
        },
    )


@role_required(*POINT_ROLES)
@require_http_methods(["GET", "POST"])
def intake_checklist(request, pk: int):
    dossier = _draft(request, pk)
    if dossier.status != State.DRAFT:
        return redirect("dossiers:dossier", pk=pk)
    documents = list(dossier.documents.all())
    problems: list[str] = []
    if request.method == "POST":
        form = ChecklistForm(request.POST, request.FILES, documents=documents)
        if form.is_valid():
            lines = [
                drafts.ChecklistLine(
                    doc.pk,
                    form.cleaned_data[f"present_{doc.pk}"],
                    form.cleaned_data[f"form_{doc.pk}"],
                    form.cleaned_data[f"pages_{doc.pk}"],
                )
                for doc in documents
            ]
            try:
                dossier = drafts.save_checklist(
                    dossier.pk, lines, actor=request.user, access=request.access, request=request
                )
                problems += _attach_scans(request, dossier, documents, form)
            except intake_common.IntakeError as exc:
                problems += exc.problems
            action = request.POST.get("action", "next")
            if not problems:
                missing = drafts.missing_documents(dossier)
                if action == "guidance":
                    return redirect("dossiers:print", pk=pk, which="guidance")
                if action == "save":
                    messages.success(request, _("Draft saved."))
                    return redirect("dossiers:intake_checklist", pk=pk)
                if missing and dossier.procedure_version.postal_check_allowed:
                    problems.append(
                        _(
                            "Some documents are missing: the dossier cannot be sealed. Save "
                            "the draft and print the guidance sheet for the citizen."
                        )
                    )
                else:
                    return redirect("dossiers:intake_fees", pk=pk)
            # Re-read what was saved, so the page shows it with the problems.
            documents = list(dossier.documents.all())
            form = ChecklistForm(documents=documents)
    else:
        form = ChecklistForm(documents=documents)
    missing = drafts.missing_documents(dossier, documents)
    if documents and not form.errors:
        form.fields[f"present_{documents[0].pk}"].widget.attrs["autofocus"] = True
    return render(
        request,
        "dossiers/intake/checklist.html",
        _context(
            dossier,
            "checklist",
            form=form,
            problems=problems,
            missing=missing,
            scans=list(dossier.scans.select_related("document")),
        ),
    )


def _attach_scans(request, dossier, documents, form) -> list[str]:
    problems = []
    uploads = [(doc.pk, form.cleaned_data.get(f"scan_{doc.pk}")) for doc in documents]
    uploads.append((None, form.cleaned_data.get("scan_other")))
    for document_id, upload in uploads:
        if not upload:
            continue
        try:
            drafts.attach_scan(
                dossier.pk,
                upload,
                document_id=document_id,
                actor=request.user,
                access=request.access,
                request=request,
            )
        except ScanError as exc:
            problems.append(str(exc) + " " + _("The checklist was saved; attach the file again."))
    return problems


def _position_initial(dossier: Dossier) -> dict:
    """The pin's start: the position this draft holds when a person set it, else the last
    one confirmed for the same citizen's same address; none when only the commune's centre
    is known (the clerk places it, or it stays approximate)."""
    if dossier.return_position_source in positions.CONFIRMED:
        return {
            "return_latitude": dossier.return_latitude,
            "return_longitude": dossier.return_longitude,
        }
    proposed = pricing.proposed_position(dossier)
    if proposed is None:
        return {}
    return {
        "return_latitude": proposed.latitude,
        "return_longitude": proposed.longitude,
        "proposed": True,
    }


def _pin_markers(form: RouteFeesForm, dossier: Dossier) -> list[dict]:
    """The draggable marker of the return step, where the form's fields put it, or at the
    delivery commune's centre, or at the post office; with the commune's centre as the
    landmark on a plain background."""
    commune = dossier.return_commune or dossier.receiving_point.commune
    known = [
        (place.latitude, place.longitude)
        for place in (commune, dossier.receiving_point)
        if place.latitude is not None and place.longitude is not None
    ]
    try:
        start = (float(form["return_latitude"].value()), float(form["return_longitude"].value()))
    except (TypeError, ValueError):
        start = (math.nan, math.nan)
    if not all(math.isfinite(value) for value in start):
        if not known:
            return []
        start = known[0]
    markers = [
        {
            "lat": start[0],
            "lon": start[1],
            "name": _("Delivery address"),
            "kind": "pin",
            "lat_input": form["return_latitude"].auto_id,
            "lon_input": form["return_longitude"].auto_id,
        }
    ]
    if commune.latitude is not None and commune.longitude is not None:
        markers.append(
            {
                "lat": commune.latitude,
                "lon": commune.longitude,
                "name": commune.name,
                "kind": "centre",
            }
        )
    return markers


def _route_initial(dossier: Dossier) -> dict:
    return {
        "agency": dossier.agency_id,
        "return_method": dossier.return_method,
        "return_address": dossier.return_address,
        "return_commune": dossier.return_commune_id,
        "return_point": dossier.return_point_id,
        **_position_initial(dossier),
        "fee_option": dossier.fee_option_id,
        "post_collects_fee": dossier.post_collects_fee,
        "weight_g": dossier.weight_g,
        "exemption": dossier.exemption_id,
        "exemption_note": dossier.exemption_note,
        "payment_method": dossier.payment_method or PaymentMethod.CASH,
        "payment_reference": dossier.payment_reference,
    }


@role_required(*POINT_ROLES)
@require_http_methods(["GET", "POST"])
def intake_fees(request, pk: int):
    dossier = _draft(request, pk)
    if dossier.status != State.DRAFT:
        return redirect("dossiers:dossier", pk=pk)
    agencies = intake_common.agencies_for(dossier)
    problems: list[str] = []
    if request.method == "POST":
        form = RouteFeesForm(request.POST, dossier=dossier, agencies=agencies)
        if form.is_valid() and request.POST.get("action") != "quote":
            choices = form.choices()
            if not choices.payment_method and _quote_from(form, dossier).total > 0:
                form.add_error("payment_method", _("Record how the citizen pays."))
            else:
                try:
                    pricing.save_route_and_fees(
                        pk, choices, actor=request.user, access=request.access, request=request
                    )
                except intake_common.IntakeError as exc:
                    problems += exc.problems
                else:
                    if request.POST.get("action") == "save":
                        messages.success(request, _("Draft saved."))
                        return redirect("dossiers:intake_fees", pk=pk)
                    return redirect("dossiers:intake_confirm", pk=pk)
        quote = _quote_from(form, dossier)
    else:
        form = RouteFeesForm(initial=_route_initial(dossier), dossier=dossier, agencies=agencies)
        quote = pricing.quote(dossier)
    return render(
        request,
        "dossiers/intake/fees.html",
        _context(
            dossier,
            "fees",
            form=form,
            quote=quote,
            problems=problems + quote.problems,
            no_agency=not agencies.exists(),
            pin_markers=_pin_markers(form, dossier),
            position_proposed=not form.is_bound and form.initial.get("proposed", False),
        ),
    )


def _quote_from(form: RouteFeesForm, dossier: Dossier) -> pricing.Quote:
    """The price with the choices as typed (unsaved); the stored ones when they do not
    validate."""
    preview = Dossier.objects.select_related(*RELATED).get(pk=dossier.pk)
    if form.is_valid():
        pricing.apply_route_and_fees(preview, form.choices())
    return pricing.quote(preview)


@role_required(*POINT_ROLES)
@require_POST
def intake_quote(request, pk: int):
    """htmx: the totals box for the choices being made on step 3."""
    dossier = _draft(request, pk)
    form = RouteFeesForm(
        request.POST, dossier=dossier, agencies=intake_common.agencies_for(dossier)
    )
    return render(
        request,
        "dossiers/intake/_totals.html",
        {"dossier": dossier, "quote": _quote_from(form, dossier), "live": True},
    )


@role_required(*POINT_ROLES)
@require_http_methods(["GET", "POST"])
def intake_confirm(request, pk: int):
    dossier = _draft(request, pk)
    if dossier.status != State.DRAFT:
        # A double submit lands here after the first one sealed: show the result.
        return redirect("dossiers:dossier", pk=pk)
    problems: list[str] = []
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sealed, _now = sealing.seal(
                pk,
                actor=request.user,
                access=request.access,
                request=request,
                seal_number=form.cleaned_data["seal_number"],
            )
        except intake_common.IntakeError as exc:
            problems = exc.problems
        except TransitionError as exc:
            problems = [str(exc)]
        else:
            return redirect(reverse("dossiers:dossier", args=[sealed.pk]) + "?sealed=1")
    else:
        problems = sealing.seal_problems(dossier)
    form.fields["seal_number"].widget.attrs["autofocus"] = True
    return render(
        request,
        "dossiers/intake/confirm.html",
        _context(
            dossier,
            "confirm",
            form=form,
            problems=problems,
            documents=[d for d in dossier.documents.all() if d.present],
            quote=pricing.quote(dossier),
        ),
    )
