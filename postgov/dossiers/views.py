"""Pages of the counter: the intake wizard, a dossier, its printed forms, the day's work,
and the public tracking page. Views check access and call `intake.py`; no state changes
here."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postgov.audit.actions import client_ip, record
from postgov.catalog import catalog_access
from postgov.delivery import actions as delivery
from postgov.delivery.models import PickupBooking
from postgov.dossiers import intake, printing, tracking
from postgov.dossiers.actions import TransitionError, allowed_actions, visible_dossiers
from postgov.dossiers.agency_forms import render_event_form
from postgov.dossiers.forms import (
    ApplicantForm,
    CancelForm,
    ChecklistForm,
    ConfirmForm,
    RouteFeesForm,
    TrackForm,
)
from postgov.dossiers.intake import address_conversion
from postgov.dossiers.models import Dossier, PaymentMethod, ServiceOption
from postgov.dossiers.scans import ScanError
from postgov.dossiers.workflow import BY_ACTION, State
from postgov.identity.access import role_required
from postgov.identity.models import POINT_ROLES, Role
from postgov.lib.idcard import Gender, IdCardError, parse_qr

STEPS = (
    ("applicant", "dossiers:intake_applicant"),
    ("checklist", "dossiers:intake_checklist"),
    ("fees", "dossiers:intake_fees"),
    ("confirm", "dossiers:intake_confirm"),
)
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


# -- helpers ---------------------------------------------------------------------------------


def _visible(request, pk: int) -> Dossier:
    queryset = visible_dossiers(request.access, Dossier.objects.select_related(*RELATED))
    return get_object_or_404(queryset, pk=pk)


def _draft(request, pk: int) -> Dossier:
    """A draft this person may work on (404 when they may not even see it)."""
    dossier = _visible(request, pk)
    if not intake.can_receive_at(request.access, dossier.receiving_point_id):
        raise PermissionDenied
    return dossier


def _context(dossier: Dossier | None, step: str, **extra) -> dict:
    return {"dossier": dossier, "step": step, "steps": STEPS, **extra}


# -- step 1: applicant and procedure -----------------------------------------------------------


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
    points = intake.intake_points(access)
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
    point_id = _int(values.get("point")) or points[0].pk
    procedures = (
        catalog_access.procedure_choices(query)
        if query
        else catalog_access.frequent_procedures(point_id)
    )
    chosen = _int(values.get("procedure"))
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


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bound_applicant(data, points, access) -> ApplicantForm:
    return ApplicantForm(data, points=points, province_id=points[0].commune.province_id)


def _save_applicant(request, form, dossier, point_ids, booking):
    data = form.cleaned_data
    applicant = intake.Applicant(
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
            dossier = intake.start_draft(
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
            dossier = intake.update_applicant(
                dossier.pk,
                applicant,
                service_option=data["service_option"],
                actor=request.user,
                access=request.access,
                request=request,
            )
    except intake.IntakeError as exc:
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
    point_id = _int(request.GET.get("point"))
    if not query and point_id and intake.can_receive_at(request.access, point_id):
        procedures = catalog_access.frequent_procedures(point_id)
    else:
        procedures = catalog_access.procedure_choices(query)
    return render(
        request,
        "dossiers/intake/_procedures.html",
        {
            "procedures": procedures,
            "chosen_procedure": _int(request.GET.get("procedure")),
            "query": query,
        },
    )


# -- step 2: checklist and scans --------------------------------------------------------------


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
                intake.ChecklistLine(
                    doc.pk,
                    form.cleaned_data[f"present_{doc.pk}"],
                    form.cleaned_data[f"form_{doc.pk}"],
                    form.cleaned_data[f"pages_{doc.pk}"],
                )
                for doc in documents
            ]
            try:
                dossier = intake.save_checklist(
                    dossier.pk, lines, actor=request.user, access=request.access, request=request
                )
                problems += _attach_scans(request, dossier, documents, form)
            except intake.IntakeError as exc:
                problems += exc.problems
            action = request.POST.get("action", "next")
            if not problems:
                missing = intake.missing_documents(dossier)
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
    missing = intake.missing_documents(dossier, documents)
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
            intake.attach_scan(
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


# -- step 3: agency, return, fees, payment -------------------------------------------------------


def _route_initial(dossier: Dossier) -> dict:
    return {
        "agency": dossier.agency_id,
        "return_method": dossier.return_method,
        "return_address": dossier.return_address,
        "return_commune": dossier.return_commune_id,
        "return_point": dossier.return_point_id,
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
    agencies = intake.agencies_for(dossier)
    problems: list[str] = []
    if request.method == "POST":
        form = RouteFeesForm(request.POST, dossier=dossier, agencies=agencies)
        if form.is_valid() and request.POST.get("action") != "quote":
            choices = form.choices()
            if not choices.payment_method and _quote_from(form, dossier).total > 0:
                form.add_error("payment_method", _("Record how the citizen pays."))
            else:
                try:
                    intake.save_route_and_fees(
                        pk, choices, actor=request.user, access=request.access, request=request
                    )
                except intake.IntakeError as exc:
                    problems += exc.problems
                else:
                    if request.POST.get("action") == "save":
                        messages.success(request, _("Draft saved."))
                        return redirect("dossiers:intake_fees", pk=pk)
                    return redirect("dossiers:intake_confirm", pk=pk)
        quote = _quote_from(form, dossier)
    else:
        form = RouteFeesForm(initial=_route_initial(dossier), dossier=dossier, agencies=agencies)
        quote = intake.quote(dossier)
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
        ),
    )


def _quote_from(form: RouteFeesForm, dossier: Dossier) -> intake.Quote:
    """The price with the choices as typed (unsaved); the stored ones when they do not
    validate."""
    preview = Dossier.objects.select_related(*RELATED).get(pk=dossier.pk)
    if form.is_valid():
        intake.apply_route_and_fees(preview, form.choices())
    return intake.quote(preview)


@role_required(*POINT_ROLES)
@require_POST
def intake_quote(request, pk: int):
    """htmx: the totals box for the choices being made on step 3."""
    dossier = _draft(request, pk)
    form = RouteFeesForm(request.POST, dossier=dossier, agencies=intake.agencies_for(dossier))
    return render(
        request,
        "dossiers/intake/_totals.html",
        {"dossier": dossier, "quote": _quote_from(form, dossier), "live": True},
    )


# -- step 4: confirm and seal ------------------------------------------------------------------


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
            sealed, _now = intake.seal(
                pk,
                actor=request.user,
                access=request.access,
                request=request,
                seal_number=form.cleaned_data["seal_number"],
            )
        except intake.IntakeError as exc:
            problems = exc.problems
        except TransitionError as exc:
            problems = [str(exc)]
        else:
            return redirect(reverse("dossiers:dossier", args=[sealed.pk]) + "?sealed=1")
    else:
        problems = intake.seal_problems(dossier)
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
            quote=intake.quote(dossier),
        ),
    )


# -- a dossier, its forms, cancel, dispatch ------------------------------------------------------


@role_required()
@require_GET
def dossier_detail(request, pk: int):
    dossier = _visible(request, pk)
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
            and intake.can_receive_at(request.access, dossier.receiving_point_id),
            "just_sealed": request.GET.get("sealed") == "1",
            "cancel_form": CancelForm(),
        },
    )


@role_required()
@require_GET
def print_form(request, pk: int, which: str):
    dossier = _visible(request, pk)
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
    dossier = _visible(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give the reason."))
        return redirect("dossiers:dossier", pk=pk)
    try:
        intake.cancel_draft(
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


@role_required(*POINT_ROLES)
@require_POST
def dispatch(request):
    ids = [pk for pk in (_int(v) for v in request.POST.getlist("dossier")) if pk]
    visible = list(visible_dossiers(request.access).filter(pk__in=ids).values_list("pk", flat=True))
    if not visible:
        messages.error(request, _("Tick the dossiers to dispatch."))
    else:
        done, errors = intake.dispatch(
            visible, actor=request.user, access=request.access, request=request
        )
        if done:
            messages.success(request, _("%(count)d dossier(s) on the way.") % {"count": done})
        for error in errors[:5]:
            messages.error(request, error)
    return redirect(reverse("dossiers:today") + "?view=dispatch")


# -- the day's work ----------------------------------------------------------------------------

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
    _day, start, end = _today_range()
    queryset = Dossier.objects.filter(receiving_point_id__in=point_ids).select_related(
        "procedure_version__procedure", "agency", "receiving_point"
    )
    point = _int(request.GET.get("point"))
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
    supervised = access.point_ids(Role.SUPERVISOR)
    if supervised:
        sealed_today = Dossier.objects.filter(
            receiving_point_id__in=supervised, sealed_at__gte=start, sealed_at__lt=end
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
        Dossier.objects.filter(receiving_point_id__in=point_ids)
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
            "points": intake.intake_points(access),
            "cash": cash,
            "counts": counts,
        },
    )


# -- public tracking ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def track(request):
    """GET ?code=<S10> shows where the item is; GET ?code=...&t=<token> (the label's QR
    code, the link in the citizen's SMS) shows the whole dossier; a dossier code asks for
    the last 4 digits of the phone, sent by POST so they stay out of addresses and logs."""
    result, message, status, retry_after = None, "", 200, 0
    token = ""
    if request.method == "POST":
        form = TrackForm(request.POST)
    elif request.GET.get("code"):
        form = TrackForm({"code": request.GET["code"]})
        token = request.GET.get("t", "")[:40]
    else:
        form = TrackForm()
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["code"]
        digits = form.cleaned_data.get("phone_last4") or ""
        if tracking.needs_digits(code) and not digits and not token:
            if request.method == "POST":
                form.add_error("phone_last4", _("Type the last 4 digits."))
        else:
            try:
                result = tracking.lookup(code, digits, client_ip(request) or "unknown", token=token)
            except tracking.TrackingLimited as limited:
                message, status = tracking.limited_message(limited), 429
                retry_after = limited.retry_after
            else:
                if token and (result is None or result.scope == "postal"):
                    message = tracking.link_refused_message()
                    status = 200 if result is not None else 404
                elif result is None:
                    message, status = tracking.not_found_message(), 404
    response = render(
        request,
        "dossiers/track.html",
        {
            "form": form,
            "result": result,
            "message": message,
            "needs_digits": form.is_bound
            and form.is_valid()
            and tracking.needs_digits(form.cleaned_data["code"])
            and not (result and result.scope in ("dossier", "pickup")),
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_POST
def track_form_01(request):
    """Form 01 (receipt and appointment slip) as a PDF, for the token the tracking page
    gave after the code and phone digits matched. A wrong or expired token is refused."""
    found = tracking.form_from_token(request.POST.get("token", ""))
    if found is None:
        response = render(
            request,
            "dossiers/track.html",
            {
                "form": TrackForm(),
                "message": _(
                    "This download has expired or is not valid. Look the dossier up again."
                ),
            },
            status=403,
        )
        response["Cache-Control"] = "no-store"
        return response
    dossier, event = found
    name, pdf = render_event_form(dossier, event)
    record(
        "dossier.form_01_downloaded",
        request=request,
        obj=dossier,
        agency_id=dossier.agency_id,
        details={"event": event.pk, "channel": "tracking"},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
