"""The pages of postal orders (decision 0016): the agency officer orders a result delivery
(or a collection of originals) and follows it; the post office sees the orders it serves
and the postman delivers with the same proof as a counter dossier's result, or the
clerk takes the originals against the dossier code."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postgov.agencies.models import Agency
from postgov.catalog.models import Procedure
from postgov.delivery.models import DeliveryAttempt, MissingSignature, ProofOfDelivery
from postgov.dossiers.carriage.trip_views import FailedForm, ProofForm
from postgov.dossiers.orders import actions
from postgov.dossiers.orders.actions import OrderError, OrderProof, OrderRequest
from postgov.dossiers.orders.models import OrderKind, OrderStatus, PostalOrder
from postgov.identity.access import role_required
from postgov.identity.models import AGENCY_ROLES, POINT_ROLES
from postgov.lib.forms import StyledFormMixin
from postgov.places.models import Commune

# -- the agency's side -----------------------------------------------------------------------


def _agency_orders(access):
    return PostalOrder.objects.filter(agency__in=access.agency_ids(*AGENCY_ROLES))


class OrderForm(StyledFormMixin, forms.Form):
    agency = forms.ModelChoiceField(label=gettext_lazy("Agency"), queryset=Agency.objects.none())
    kind = forms.ChoiceField(
        label=gettext_lazy("What the post carries"),
        choices=OrderKind.choices,
        initial=OrderKind.RESULT_DELIVERY,
        widget=forms.RadioSelect,
    )
    portal_code = forms.CharField(
        label=gettext_lazy("Dossier code on the portal"),
        max_length=60,
        help_text=gettext_lazy("The code the portal gave: unit code-YYMMDD-number."),
    )
    procedure = forms.ModelChoiceField(
        label=gettext_lazy("Procedure"), queryset=Procedure.objects.order_by("name")
    )
    documents = forms.CharField(
        label=gettext_lazy("Documents in the envelope (one per line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=3000,
    )
    recipient_name = forms.CharField(label=gettext_lazy("Recipient's full name"), max_length=200)
    recipient_phone = forms.CharField(label=gettext_lazy("Mobile phone"), max_length=20)
    recipient_id_last4 = forms.RegexField(
        label=gettext_lazy("Last 4 digits of the recipient's ID card (optional)"),
        regex=r"^\d{4}$",
        max_length=4,
        required=False,
        error_messages={"invalid": gettext_lazy("Four digits, as printed on the card.")},
    )
    address = forms.CharField(label=gettext_lazy("Street address"), max_length=300)
    commune = forms.ModelChoiceField(label=gettext_lazy("Commune"), queryset=Commune.objects.none())
    cod_amount = forms.IntegerField(
        label=gettext_lazy("To collect on delivery (VND)"),
        min_value=0,
        max_value=actions.MAX_COD,
        initial=0,
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args, access, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = Agency.objects.filter(pk__in=access.agency_ids(*AGENCY_ROLES)).order_by("name")
        self.fields["agency"].queryset = agencies
        if len(agencies) == 1:
            self.fields["agency"].initial = agencies[0]
        provinces = {a.province_id for a in agencies}
        self.fields["commune"].queryset = Commune.objects.filter(province__in=provinces).order_by(
            "name"
        )


@require_GET
@role_required(*AGENCY_ROLES)
def agency_orders(request):
    orders = _agency_orders(request.access).select_related("procedure", "service_point")
    page = Paginator(orders, 30).get_page(request.GET.get("page"))
    return render(request, "orders/agency_orders.html", {"page_obj": page})


@require_http_methods(["GET", "POST"])
@role_required(*AGENCY_ROLES)
def agency_order_new(request):
    form = OrderForm(request.POST or None, access=request.access)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = actions.create_order(
                data["agency"].pk,
                OrderRequest(
                    kind=data["kind"],
                    portal_code=data["portal_code"],
                    procedure_code=data["procedure"].code,
                    documents=[
                        {"name": line.strip()}
                        for line in data["documents"].splitlines()
                        if line.strip()
                    ],
                    recipient_name=data["recipient_name"],
                    recipient_phone=data["recipient_phone"],
                    recipient_id_last4=data["recipient_id_last4"],
                    address=data["address"],
                    commune_code=data["commune"].code,
                    cod_amount=data["cod_amount"],
                    note=data["note"],
                ),
                actor=request.user,
                via="page",
                request=request,
            )
        except OrderError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Order %(code)s placed: the post collects it on its next trip.")
                % {"code": order.code},
            )
            return redirect("orders:agency_order", pk=order.pk)
    return render(
        request,
        "orders/agency_order_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@role_required(*AGENCY_ROLES)
def agency_order(request, pk: int):
    order = get_object_or_404(
        _agency_orders(request.access).select_related("procedure", "service_point", "commune"),
        pk=pk,
    )
    if request.method == "POST":
        try:
            actions.cancel(
                order.pk,
                agency_id=order.agency_id,
                actor=request.user,
                via="page",
                reason=(request.POST.get("reason") or "")[:300],
                request=request,
            )
        except OrderError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Order cancelled."))
        return redirect("orders:agency_order", pk=order.pk)
    return render(request, "orders/agency_order.html", _order_context(order))


def _order_context(order: PostalOrder) -> dict:
    return {
        "order": order,
        "item": actions.item_of(order),
        "events": order.events.select_related("actor"),
        "proof": ProofOfDelivery.objects.filter(order=order).first(),
        "attempts": DeliveryAttempt.objects.filter(order=order).select_related("postman"),
    }


# -- the post office's side ------------------------------------------------------------------

POINT_TABS = {
    "to_collect": [OrderStatus.ORDERED],
    "at_office": [OrderStatus.COLLECTED, OrderStatus.HELD, OrderStatus.RECEIVED],
    "out": [OrderStatus.OUT_FOR_DELIVERY, OrderStatus.IN_TRANSIT],
    "done": [
        OrderStatus.DELIVERED,
        OrderStatus.RETURNED,
        OrderStatus.HANDED_OVER,
        OrderStatus.CANCELLED,
    ],
}


class OrderProofForm(ProofForm):
    cod_collected = forms.IntegerField(
        label=gettext_lazy("Money collected (VND)"), min_value=0, initial=0
    )


class OriginalsForm(StyledFormMixin, forms.Form):
    handed = forms.MultipleChoiceField(
        label=gettext_lazy("Documents handed over"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    other = forms.CharField(label=gettext_lazy("Other documents"), max_length=300, required=False)

    def __init__(self, *args, order: PostalOrder, **kwargs):
        super().__init__(*args, **kwargs)
        names = [d.get("name", "") for d in order.documents]
        handed = cast(forms.MultipleChoiceField, self.fields["handed"])
        handed.choices = [(n, n) for n in names if n]


@require_GET
@role_required(*POINT_ROLES)
def point_orders(request):
    tab = request.GET.get("tab", "to_collect")
    if tab not in POINT_TABS:
        tab = "to_collect"
    base = actions.serving_orders(request.access)
    queryset = (
        base.filter(status__in=POINT_TABS[tab])
        .select_related("agency", "procedure")
        .order_by("updated_at")
    )
    tabs = [
        ("to_collect", _("At the agency")),
        ("at_office", _("At the office")),
        ("out", _("On the way")),
        ("done", _("Done")),
    ]
    code = (request.GET.get("code") or "").strip().upper()[:60]
    found = None
    if code:
        found = base.filter(portal_code=code).exclude(status=OrderStatus.CANCELLED).first()
        if found is None:
            found = base.filter(code=code).first()
        if found is not None:
            return redirect("orders:point_order", pk=found.pk)
        messages.error(request, _("No order of your post office has this code."))
    page = Paginator(queryset, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/point_orders.html",
        {"page_obj": page, "tab": tab, "tabs": tabs, "code": code},
    )


@require_http_methods(["GET", "POST"])
@role_required(*POINT_ROLES)
def point_order(request, pk: int):
    order = get_object_or_404(
        actions.serving_orders(request.access).select_related(
            "agency", "procedure", "service_point", "commune__province"
        ),
        pk=pk,
    )
    step = request.POST.get("step", "") if request.method == "POST" else ""
    proof_form = OrderProofForm(
        request.POST if step == "deliver" else None, request.FILES if step == "deliver" else None
    )
    failed_form = FailedForm(request.POST if step == "failed" else None)
    originals_form = OriginalsForm(request.POST if step == "originals" else None, order=order)
    who = {"user": request.user, "access": request.access, "request": request}
    if request.method == "POST":
        try:
            if step in ("out", "hold", "return"):
                action = {"out": "out_for_delivery", "hold": "hold", "return": "return"}[step]
                actions.step(
                    order.pk,
                    action,
                    actor=request.user,
                    access=request.access,
                    request=request,
                    note=(request.POST.get("note") or "")[:300],
                )
                messages.success(request, _("Done."))
                return redirect("orders:point_order", pk=order.pk)
            if step == "failed" and failed_form.is_valid():
                data = failed_form.cleaned_data
                actions.failed_attempt(
                    order.pk,
                    reason_code=data["reason_code"],
                    action_code=data["action_code"],
                    note=data["note"],
                    **who,
                )
                messages.warning(request, _("Failed attempt recorded."))
                return redirect("orders:point_order", pk=order.pk)
            if step == "deliver" and proof_form.is_valid():
                data = proof_form.cleaned_data
                delivered = actions.deliver(
                    order.pk,
                    OrderProof(
                        recipient_name=data["recipient_name"],
                        id_last4=data["id_last4"],
                        relation=data["relation"],
                        relation_note=data["relation_note"],
                        signature=proof_form.signature_png(),
                        unsigned=proof_form.unsigned(),
                        cod_collected=data["cod_collected"],
                    ),
                    **who,
                )
                if delivered.signature_captured:
                    messages.success(request, _("Delivered, with the recipient's signature."))
                else:
                    messages.warning(
                        request,
                        _(
                            "Delivered without a signature on the screen, for the reason you "
                            "gave. A supervisor of the post office will review it."
                        ),
                    )
                return redirect("orders:point_order", pk=order.pk)
            if step == "originals" and originals_form.is_valid():
                data = originals_form.cleaned_data
                handed = [*data["handed"], *([data["other"]] if data["other"].strip() else [])]
                actions.receive_originals(order.pk, handed, **who)
                messages.success(
                    request,
                    _("Originals received: load item %(item)s on the next manifest.")
                    % {"item": actions.item_of(order).item_id},
                )
                return redirect("orders:point_order", pk=order.pk)
        except OrderError as exc:
            target = {"deliver": proof_form, "originals": originals_form}.get(step, failed_form)
            target.add_error(None, str(exc))
            if step not in ("deliver", "originals", "failed"):
                messages.error(request, str(exc))
        order.refresh_from_db()
    return render(
        request,
        "orders/point_order.html",
        {
            **_order_context(order),
            "proof_form": proof_form,
            "failed_form": failed_form,
            "originals_form": originals_form,
            "open_step": step,
            "missing_signature": MissingSignature.objects.filter(order=order).first(),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@role_required(*POINT_ROLES)
def point_order_lookup(request):
    """The clerk types or scans the portal dossier code the citizen brings."""
    code = (request.POST.get("code") or "").strip().upper()[:60]
    found = (
        actions.serving_orders(request.access)
        .filter(portal_code=code, kind=OrderKind.COLLECT_ORIGINALS, status=OrderStatus.ORDERED)
        .first()
    )
    if found is None:
        messages.error(request, _("No order of your post office waits for these originals."))
        return redirect("orders:point_orders")
    return redirect("orders:point_order", pk=found.pk)
