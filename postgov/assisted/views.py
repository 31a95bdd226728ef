"""The pages of assisted online sessions: start one, the session page (consent, outcome,
fee, receipt, result by post), the clerk's day and the point's day for supervisors.
Clerks and supervisors of the session's post office only."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from postgov.assisted import actions, figures, receipt
from postgov.assisted.actions import SESSION_ROLES, AssistedError
from postgov.assisted.consent import NOTICE, NOTICE_VERSION
from postgov.assisted.forms import ConsentForm, FeeForm, OutcomeForm, ReturnForm, StartForm
from postgov.assisted.models import AssistedSession, Outcome, Status
from postgov.audit.actions import record
from postgov.identity.access import role_required
from postgov.identity.models import Role
from postgov.places.models import ServicePoint


def _visible(request):
    return AssistedSession.objects.filter(point__in=request.access.point_ids(*SESSION_ROLES))


@role_required(*SESSION_ROLES)
@require_http_methods(["GET", "POST"])
def start(request):
    form = StartForm(request.POST or None, access=request.access)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = actions.start_session(
                actions.Start(
                    point_id=data["point"].pk,
                    citizen_name=data["citizen_name"],
                    citizen_phone=data["citizen_phone"],
                    citizen_id_number=data["citizen_id_number"],
                    portal=data["portal"],
                    portal_detail=data["portal_detail"],
                    procedure=data["procedure"],
                    service_name=data["service_name"],
                ),
                user=request.user,
                access=request.access,
                request=request,
            )
        except AssistedError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("assisted:session", pk=session.pk)
    return render(
        request,
        "assisted/start.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _shown_step(session: AssistedSession) -> str:
    """The step whose form the session page shows (the result-by-post form aside)."""
    if session.status == Status.STARTED:
        return "consent"
    if session.status == Status.CONSENTED:
        return "outcome"
    if session.outcome == Outcome.SUBMITTED and session.order_id is None:
        return "post"
    return "fee" if session.status == Status.ENDED else ""


@role_required(*SESSION_ROLES)
@require_http_methods(["GET", "POST"])
def session_page(request, pk: int):
    session = get_object_or_404(
        _visible(request).select_related("point", "clerk", "procedure", "exemption", "order"),
        pk=pk,
    )
    step = request.POST.get("step", "") if request.method == "POST" else ""
    forms = {
        "consent": ConsentForm(request.POST if step == "consent" else None),
        "outcome": OutcomeForm(request.POST if step == "outcome" else None),
        "fee": FeeForm(request.POST if step == "fee" else None),
        "post": ReturnForm(request.POST if step == "post" else None, session=session),
    }
    who = {"user": request.user, "access": request.access, "request": request}
    if request.method == "POST":
        form = forms.get(step)
        if form is None:
            messages.error(request, _("Unknown step."))
            return redirect("assisted:session", pk=session.pk)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if step == "consent":
                    actions.record_consent(
                        session.pk,
                        method=data["method"],
                        affirmed=data["affirmed"],
                        paper_reference=data["paper_reference"],
                        **who,
                    )
                    messages.success(request, _("Consent recorded."))
                elif step == "outcome":
                    actions.record_outcome(
                        session.pk,
                        outcome=data["outcome"],
                        portal_code=data["portal_code"],
                        reason=data["reason"],
                        note=data["note"],
                        **who,
                    )
                    messages.success(request, _("Outcome recorded."))
                elif step == "fee":
                    actions.record_fee(
                        session.pk,
                        exemption=data["exemption"],
                        exemption_note=data["exemption_note"],
                        **who,
                    )
                    messages.success(request, _("Fee recorded: print the receipt."))
                else:
                    order = actions.return_by_post(
                        session.pk,
                        actions.ReturnByPost(
                            recipient_name=data["recipient_name"],
                            recipient_phone=data["recipient_phone"],
                            address=data["address"],
                            commune=data["commune"],
                            procedure=data.get("procedure"),
                            note=data["note"],
                        ),
                        **who,
                    )
                    messages.success(
                        request,
                        _("Order %(code)s placed: the result will come by post.")
                        % {"code": order.code},
                    )
                return redirect("assisted:session", pk=session.pk)
            except AssistedError as exc:
                session.refresh_from_db()
                if step == _shown_step(session):
                    form.add_error(None, str(exc))
                else:
                    # That step's form is not on the page (yet, or any more): say it on top.
                    messages.error(request, str(exc))
    return render(
        request,
        "assisted/session.html",
        {
            "session": session,
            "forms": forms,
            "step": step,
            "notice": NOTICE,
            "notice_version": NOTICE_VERSION,
            "Status": Status,
            "submitted": session.outcome == Outcome.SUBMITTED,
            "can_order": session.outcome == Outcome.SUBMITTED and session.order_id is None,
            "events": session.events.select_related("actor"),
        },
        status=400 if step else 200,
    )


@role_required(*SESSION_ROLES)
@require_GET
def receipt_pdf(request, pk: int):
    session = get_object_or_404(
        _visible(request).select_related("point__commune__province", "clerk", "exemption"),
        pk=pk,
    )
    if session.status != Status.CLOSED:
        messages.error(request, _("Record the fee before printing the receipt."))
        return redirect("assisted:session", pk=session.pk)
    data = receipt.render(session)
    record(
        "assisted.receipt_printed",
        request=request,
        obj=session,
        service_point_id=session.point_id,
        details={"receipt": session.receipt_number},
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{session.receipt_number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def _day(request) -> date:
    value = request.GET.get("day", "")
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            messages.error(request, _("The day is not a date; showing today."))
    return timezone.localdate()


def _totals(rows) -> dict:
    ended = [s.minutes_spent for s in rows if s.minutes_spent is not None]
    return {
        "count": len(rows),
        "submitted": sum(1 for s in rows if s.outcome == Outcome.SUBMITTED),
        "not_possible": sum(1 for s in rows if s.outcome == Outcome.NOT_POSSIBLE),
        "open": sum(1 for s in rows if not s.outcome),
        "minutes": sum(ended),
        "mean_minutes": round(sum(ended) / len(ended), 1) if ended else None,
        "fees": sum(s.fee_due for s in rows),
        "by_post": sum(1 for s in rows if s.order_id),
    }


@role_required(*SESSION_ROLES)
@require_GET
def my_day(request):
    day = _day(request)
    rows = list(
        figures.sessions(day, day)
        .filter(clerk=request.user, point__in=request.access.point_ids(*SESSION_ROLES))
        .select_related("procedure", "point")
        .order_by("started_at")
    )
    supervised = ServicePoint.objects.filter(
        pk__in=request.access.point_ids(Role.SUPERVISOR)
    ).order_by("name")
    return render(
        request,
        "assisted/my_day.html",
        {"day": day, "rows": rows, "totals": _totals(rows), "supervised": supervised},
    )


@role_required(Role.SUPERVISOR)
@require_GET
def point_day(request, point_id: int):
    point = get_object_or_404(ServicePoint, pk=point_id)
    if not request.access.can_act_at_point(point.pk, Role.SUPERVISOR):
        raise PermissionDenied
    day = _day(request)
    rows = list(
        figures.sessions(day, day, [point.pk])
        .select_related("procedure", "clerk")
        .order_by("started_at")
    )
    clerks: dict = {}
    for row in rows:
        clerks.setdefault(row.clerk, []).append(row)
    return render(
        request,
        "assisted/point_day.html",
        {
            "point": point,
            "day": day,
            "rows": rows,
            "totals": _totals(rows),
            "clerks": [(clerk, _totals(sessions)) for clerk, sessions in clerks.items()],
        },
    )
