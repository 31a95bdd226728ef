"""The postman's pages (phone-sized): manifests loaded by scanning labels, the hand-over
at the agency, results to deliver with proof. Every page works without JavaScript; the
camera scan and the drawn signature are added where the browser allows."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postgov.agencies.models import Agency
from postgov.delivery.actions import (
    can_manage_pickups,
    missing_signatures_for,
    postmen_of,
    review_missing_signature,
)
from postgov.delivery.forms import AssignForm, DoorPositionForm, SignForm
from postgov.delivery.models import (
    DeliveryAttempt,
    Manifest,
    MissingSignature,
    PostalItem,
    ProofOfDelivery,
)
from postgov.delivery.signatures import ProofFileError, checked_photo
from postgov.dossiers.actions import TransitionError, confirm_return_position, visible_dossiers
from postgov.dossiers.carriage import manifests, returns
from postgov.dossiers.carriage.handover_record import handover_record_pdf, item_label_pdf
from postgov.dossiers.carriage.manifests import ManifestError
from postgov.dossiers.carriage.returns import Place, Proof, SameDigits
from postgov.dossiers.intake.printing import citizen_party
from postgov.dossiers.models import Dossier, ReturnMethod
from postgov.dossiers.orders.actions import visible_orders
from postgov.dossiers.workflow import State
from postgov.identity.access import role_required
from postgov.identity.models import POINT_ROLES, Role, User
from postgov.lib.forms import StyledFormMixin
from postgov.places.models import ServicePoint


def _points(access):
    return ServicePoint.objects.filter(pk__in=access.point_ids(*POINT_ROLES)).select_related(
        "commune"
    )


def _my_manifest(request, pk: int) -> Manifest:
    return get_object_or_404(
        Manifest.objects.filter(
            service_point__in=request.access.point_ids(*POINT_ROLES)
        ).select_related("agency", "service_point", "postman"),
        pk=pk,
    )


# -- manifests ---------------------------------------------------------------------------------


class NewManifestForm(StyledFormMixin, forms.Form):
    point = forms.ModelChoiceField(
        label=gettext_lazy("Post office"), queryset=ServicePoint.objects.none()
    )
    agency = forms.ModelChoiceField(label=gettext_lazy("Agency"), queryset=Agency.objects.none())
    direction = forms.ChoiceField(
        label=gettext_lazy("Trip"), choices=Manifest.Direction.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, access, **kwargs):
        super().__init__(*args, **kwargs)
        points = _points(access)
        self.fields["point"].queryset = points
        provinces = {p.commune.province_id for p in points}
        self.fields["agency"].queryset = Agency.objects.filter(
            province__in=provinces, active=True
        ).order_by("name")
        if len(points) == 1:
            self.fields["point"].initial = points[0]
        # The agency most dossiers wait for comes first: usually the one the trip is for.
        busiest = (
            Dossier.objects.filter(
                receiving_point__in=points,
                status__in=[State.SEALED, State.SUPPLEMENT_SEALED],
                practice=False,
            )
            .values("agency")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        if busiest:
            self.fields["agency"].initial = busiest["agency"]
        self.fields["direction"].initial = Manifest.Direction.OUTBOUND


@require_http_methods(["GET", "POST"])
@role_required(*POINT_ROLES)
def manifest_list(request):
    form = NewManifestForm(
        request.POST if request.method == "POST" else None, access=request.access
    )
    if request.method == "POST" and form.is_valid():
        try:
            manifest = manifests.new_manifest(
                point=form.cleaned_data["point"],
                agency=form.cleaned_data["agency"],
                direction=form.cleaned_data["direction"],
                user=request.user,
                access=request.access,
                request=request,
            )
        except ManifestError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("carriage:manifest", pk=manifest.pk)
    points = request.access.point_ids(*POINT_ROLES)
    queryset = (
        Manifest.objects.filter(service_point__in=points)
        .select_related("agency", "service_point", "postman")
        .annotate(n=Count("items"))
        .order_by("-created_at")
    )
    show = request.GET.get("show", "active")
    if show != "all":
        queryset = queryset.filter(status__in=manifests.ACTIVE)
    waiting = (
        Dossier.objects.filter(
            receiving_point__in=points,
            status__in=[State.SEALED, State.SUPPLEMENT_SEALED],
            practice=False,
        )
        .values("agency__name", "agency_id")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    page = Paginator(queryset, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "carriage/manifests.html",
        {
            "form": form,
            "page_obj": page,
            "show": show,
            "waiting": waiting,
            "unsigned_to_review": _unsigned_to_review(request.access),
        },
        status=400 if request.method == "POST" else 200,
    )


def _unsigned_to_review(access) -> int | None:
    """How many steps without a signature wait for this supervisor (None: not one)."""
    if not access.has_role(Role.SUPERVISOR):
        return None
    return missing_signatures_for(access).filter(reviewed_at__isnull=True).count()


def _manifest_page(request, manifest: Manifest, sign_form: SignForm | None = None, status=200):
    lines = manifest.items.select_related("item", "dossier__procedure_version__procedure").order_by(
        "-added_at", "-id"
    )
    return render(
        request,
        "carriage/manifest.html",
        {
            "manifest": manifest,
            "lines": lines,
            "refusals": manifest.refusals.all()[:10],
            "fees": sum(line.fee_expected for line in lines),
            "sign_form": sign_form or SignForm(),
            "missing_signatures": manifest.missing_signatures.all(),
        },
        status=status,
    )


@require_GET
@role_required(*POINT_ROLES)
def manifest_page(request, pk: int):
    return _manifest_page(request, _my_manifest(request, pk))


@require_POST
@role_required(*POINT_ROLES)
def manifest_scan(request, pk: int):
    manifest = _my_manifest(request, pk)
    code = (request.POST.get("code") or "").strip()[:80]
    if not code:
        messages.warning(request, _("Scan or type a label first."))
        return redirect("carriage:manifest", pk=manifest.pk)
    try:
        line = manifests.scan(
            manifest.pk, code, user=request.user, access=request.access, request=request
        )
    except ManifestError as exc:
        messages.error(request, _("Refused: %(reason)s") % {"reason": exc})
    else:
        messages.success(
            request,
            _("Loaded %(item)s — %(code)s.")
            % {
                "item": line.item.item_id,
                "code": line.order.portal_code
                if line.order
                else (line.dossier.code if line.dossier else ""),
            },
        )
    return redirect("carriage:manifest", pk=manifest.pk)


@require_POST
@role_required(*POINT_ROLES)
def manifest_remove(request, pk: int, line_id: int):
    manifest = _my_manifest(request, pk)
    try:
        manifests.remove(
            manifest.pk, line_id, user=request.user, access=request.access, request=request
        )
    except ManifestError as exc:
        messages.error(request, str(exc))
    return redirect("carriage:manifest", pk=manifest.pk)


@require_POST
@role_required(*POINT_ROLES)
def manifest_step(request, pk: int, step: str):
    """dispatch / present / collect: the buttons of the manifest page."""
    manifest = _my_manifest(request, pk)
    who = {"user": request.user, "access": request.access, "request": request}
    try:
        if step == "dispatch":
            manifests.dispatch(manifest.pk, **who)
            messages.success(request, _("On the way: the dossiers are in transit."))
        elif step == "present":
            form = SignForm(request.POST)
            if form.is_valid():
                try:
                    manifests.present(
                        manifest.pk, signature=form.signature_png(), unsigned=form.unsigned(), **who
                    )
                except ManifestError as exc:
                    form.add_error(None, str(exc))
            if form.errors:
                # Back to the page as it was sent, with the reason typed still there.
                return _manifest_page(request, manifest, form, status=400)
            messages.success(
                request, _("Presented. The agency's receiver now counts and confirms.")
            )
        elif step == "collect":
            manifests.collect(manifest.pk, **who)
            messages.success(request, _("Results collected. Print the record for the agency."))
        else:
            raise ManifestError(_("Unknown step."))
    except ManifestError as exc:
        messages.error(request, str(exc))
    return redirect("carriage:manifest", pk=manifest.pk)


@require_GET
@role_required(*POINT_ROLES)
def manifest_record(request, pk: int):
    manifest = _my_manifest(request, pk)
    response = HttpResponse(handover_record_pdf(manifest), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bien-ban-{manifest.code}.pdf"'
    return response


@require_GET
def item_label(request, item_id: str):
    """The label of a supplement or result item, for whoever may see its dossier or its
    postal order."""
    if not request.user.is_authenticated:
        return redirect("identity:login")
    item = get_object_or_404(
        PostalItem.objects.filter(
            Q(dossier__in=visible_dossiers(request.access))
            | Q(order__in=visible_orders(request.access))
        ),
        item_id=item_id[:13],
    )
    response = HttpResponse(item_label_pdf(item), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{item.item_id}.pdf"'
    return response


# -- deliveries ------------------------------------------------------------------------------

TO_COLLECT = [State.RESULT_READY, State.REFUSED, State.STOPPED]
DELIVERY_TABS = {
    "to_collect": TO_COLLECT,
    "at_office": [State.RESULT_COLLECTED],
    "out": [State.OUT_FOR_DELIVERY],
    "held": [State.HELD_AT_OFFICE],
    "to_return": [State.HELD_AT_OFFICE],
    "done": [State.DELIVERED, State.RETURNED],
}


def _return_dossiers(access):
    points = access.point_ids(*POINT_ROLES)
    return Dossier.objects.filter(
        Q(return_point__in=points) | Q(return_point__isnull=True, receiving_point__in=points)
    ).exclude(return_method=ReturnMethod.AT_AGENCY)


def _held_since_cutoff():
    return timezone.now() - timedelta(days=getattr(settings, "RESULT_HOLD_DAYS", 10) * 7 / 5)


@require_GET
@role_required(*POINT_ROLES)
def deliveries(request):
    tab = request.GET.get("tab", "at_office")
    if tab not in DELIVERY_TABS:
        tab = "at_office"
    base = _return_dossiers(request.access)
    queryset = base.filter(status__in=DELIVERY_TABS[tab])
    if tab == "to_return":
        queryset = queryset.filter(updated_at__lt=_held_since_cutoff())
    queryset = queryset.select_related(
        "agency", "procedure_version__procedure", "delivery_postman"
    ).order_by("-updated_at" if tab == "done" else "updated_at")
    counts = dict(
        base.filter(status__in=[s for states in DELIVERY_TABS.values() for s in states])
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    tabs = [
        ("to_collect", _("At the agency"), sum(counts.get(s, 0) for s in TO_COLLECT)),
        ("at_office", _("At the office"), counts.get(State.RESULT_COLLECTED, 0)),
        ("out", _("Out for delivery"), counts.get(State.OUT_FOR_DELIVERY, 0)),
        ("held", _("Held for collection"), counts.get(State.HELD_AT_OFFICE, 0)),
        ("to_return", _("To return"), None),
        ("done", _("Done"), None),
    ]
    page = Paginator(queryset, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "carriage/deliveries.html",
        {
            "page_obj": page,
            "tab": tab,
            "tabs": tabs,
            "unsigned_to_review": _unsigned_to_review(request.access),
        },
    )


class ProofForm(SignForm):
    relation = forms.ChoiceField(
        label=gettext_lazy("Who is the recipient?"),
        choices=ProofOfDelivery.Relation.choices,
        initial=ProofOfDelivery.Relation.SELF,
        widget=forms.RadioSelect,
    )
    recipient_name = forms.CharField(label=gettext_lazy("Recipient's full name"), max_length=200)
    id_last4 = forms.RegexField(
        label=gettext_lazy("Last 4 digits of the recipient's own ID card"),
        help_text=gettext_lazy(
            "The card of the person in front of you: the applicant's when the applicant "
            "receives it, the family member's or authorised person's own card otherwise."
        ),
        regex=r"^\d{4}$",
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"invalid": gettext_lazy("Four digits, as printed on the card.")},
    )
    same_digits = forms.BooleanField(
        label=gettext_lazy("I checked: the recipient's own card ends with these digits too"),
        required=False,
    )
    relation_note = forms.CharField(
        label=gettext_lazy("Relation and proof seen (when not the applicant)"),
        required=False,
        max_length=200,
    )
    photo = forms.FileField(
        label=gettext_lazy("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)
    accuracy = forms.CharField(required=False, widget=forms.HiddenInput)


class FailedForm(StyledFormMixin, forms.Form):
    reason_code = forms.ChoiceField(
        label=gettext_lazy("Why"), choices=DeliveryAttempt.Reason.choices, widget=forms.RadioSelect
    )
    action_code = forms.ChoiceField(
        label=gettext_lazy("What next"),
        choices=DeliveryAttempt.Next.choices,
        initial=DeliveryAttempt.Next.RETRY,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)


@require_http_methods(["GET", "POST"])
@role_required(*POINT_ROLES)
def delivery_page(request, pk: int):
    dossier = get_object_or_404(
        _return_dossiers(request.access).select_related(
            "agency",
            "procedure_version__procedure",
            "receiving_point",
            "return_point",
            "delivery_postman",
            "return_commune__province",
            "applicant_commune__province",
        ),
        pk=pk,
    )
    step = request.POST.get("step", "") if request.method == "POST" else ""
    proof_form = ProofForm(
        request.POST if step == "deliver" else None, request.FILES if step == "deliver" else None
    )
    failed_form = FailedForm(request.POST if step == "failed" else None)
    # A supervisor chooses who carries the result; a postman takes it out themselves.
    point_id = dossier.return_point_id or dossier.receiving_point_id
    can_assign = can_manage_pickups(request.access, point_id)
    assign_form = AssignForm(
        request.POST if step in ("out", "assign") and can_assign else None,
        postmen=postmen_of(point_id) if can_assign else User.objects.none(),
        initial={"postman": dossier.delivery_postman_id or request.user.pk},
    )
    who = {"user": request.user, "access": request.access, "request": request}
    same_digits_asked = step == "deliver" and bool(request.POST.get("same_digits"))
    if request.method == "POST":
        try:
            if step == "out" and (not can_assign or assign_form.is_valid()):
                chosen = assign_form.cleaned_data["postman"] if can_assign else None
                returns.out_for_delivery(dossier.pk, postman=chosen, **who)
                messages.success(request, _("Out for delivery."))
                return redirect("carriage:delivery", pk=dossier.pk)
            if step == "assign" and can_assign and assign_form.is_valid():
                returns.assign_delivery(dossier.pk, assign_form.cleaned_data["postman"], **who)
                messages.success(request, _("Given to another postman."))
                return redirect("carriage:delivery", pk=dossier.pk)
            if step == "hold":
                returns.hold(dossier.pk, **who)
                messages.success(request, _("Held at the office; the citizen is told by SMS."))
                return redirect("carriage:delivery", pk=dossier.pk)
            if step == "return":
                note = (request.POST.get("note") or "").strip() or _("Not collected in time")
                returns.return_to_agency(dossier.pk, note=note, **who)
                messages.success(request, _("Marked as returned to the agency."))
                return redirect("carriage:delivery", pk=dossier.pk)
            if step == "failed" and failed_form.is_valid():
                data = failed_form.cleaned_data
                returns.failed_attempt(
                    dossier.pk,
                    reason_code=data["reason_code"],
                    action_code=data["action_code"],
                    note=data["note"],
                    place=Place.parse(data["latitude"], data["longitude"]),
                    **who,
                )
                messages.warning(request, _("Failed attempt recorded."))
                return redirect("carriage:delivery", pk=dossier.pk)
            if step == "deliver" and proof_form.is_valid():
                data = proof_form.cleaned_data
                try:
                    photo = checked_photo(data["photo"])
                except ProofFileError as exc:
                    raise TransitionError(
                        _("The photo could not be read (%(why)s): take it again.") % {"why": exc}
                    ) from exc
                unsigned = proof_form.unsigned()
                _dossier, delivered = returns.deliver(
                    dossier.pk,
                    Proof(
                        recipient_name=data["recipient_name"],
                        id_last4=data["id_last4"],
                        relation=data["relation"],
                        relation_note=data["relation_note"],
                        signature=proof_form.signature_png(),
                        unsigned=unsigned,
                        photo=photo,
                        place=Place.parse(data["latitude"], data["longitude"], data["accuracy"]),
                        same_digits_confirmed=data["same_digits"],
                    ),
                    at_counter=dossier.status == State.HELD_AT_OFFICE,
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
                return redirect("carriage:delivery", pk=dossier.pk)
        except SameDigits as exc:
            proof_form.add_error("id_last4", str(exc))
            same_digits_asked = True
        except TransitionError as exc:
            if step in ("out", "assign") and not can_assign:
                # No postman to choose on this person's page: the message says it.
                messages.error(request, str(exc))
            else:
                target = {"deliver": proof_form, "out": assign_form, "assign": assign_form}.get(
                    step, failed_form
                )
                target.add_error(None, str(exc))
        dossier.refresh_from_db()
    attempts = DeliveryAttempt.objects.filter(dossier=dossier).select_related("postman")
    proof = ProofOfDelivery.objects.filter(dossier=dossier).first()
    missing = MissingSignature.objects.filter(
        dossier=dossier, step=MissingSignature.Step.DELIVERY
    ).first()
    return render(
        request,
        "carriage/delivery.html",
        {
            "dossier": dossier,
            "proof_form": proof_form,
            "failed_form": failed_form,
            "attempts": attempts,
            "proof": proof,
            "missing_signature": missing,
            "deliver_to": citizen_party(dossier).address,
            "same_digits_asked": same_digits_asked,
            "item": returns.return_item(dossier),
            "open_step": step,
            "position_form": DoorPositionForm(),
            "assign_form": assign_form if can_assign else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@role_required(Role.POSTMAN, Role.SUPERVISOR)
def delivery_position(request, pk: int):
    """The postman confirms, at the door, that the phone's position is the address's."""
    dossier = get_object_or_404(_return_dossiers(request.access), pk=pk)
    form = DoorPositionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The phone did not give a position; try again outdoors."))
        return redirect("carriage:delivery", pk=pk)
    try:
        dossier = confirm_return_position(
            dossier.pk,
            form.cleaned_data["latitude"],
            form.cleaned_data["longitude"],
            actor=request.user,
            access=request.access,
            request=request,
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Position recorded for this address: Vpostcode %(code)s.")
            % {"code": dossier.return_vpostcode or "—"},
        )
    return redirect("carriage:delivery", pk=pk)


@require_GET
@role_required(*POINT_ROLES)
def proof_file(request, pk: int, kind: str):
    """The signature or photo of a proof of delivery, for the staff of its post office."""
    dossier = get_object_or_404(_return_dossiers(request.access), pk=pk)
    proof = get_object_or_404(ProofOfDelivery, dossier=dossier)
    field = proof.signature if kind == "signature" else proof.photo if kind == "photo" else None
    if not field:
        return HttpResponse(status=404)
    content_type = "image/png" if (field.name or "").endswith(".png") else "image/jpeg"
    response = HttpResponse(field.read(), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


# -- steps without a signature (supervisors) -------------------------------------------------


@require_GET
@role_required(Role.SUPERVISOR)
def missing_signatures(request):
    """Deliveries and hand-overs recorded without a signature on the screen, with the
    reason given: those not reviewed yet first."""
    show = request.GET.get("show", "open")
    rows = missing_signatures_for(request.access).select_related(
        "dossier", "manifest__agency", "recorded_by", "reviewed_by", "service_point"
    )
    open_count = rows.filter(reviewed_at__isnull=True).count()
    if show != "all":
        rows = rows.filter(reviewed_at__isnull=True)
    page = Paginator(rows.order_by("-at", "-id"), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "carriage/missing_signatures.html",
        {"page_obj": page, "show": show, "open_count": open_count},
    )


@require_POST
@role_required(Role.SUPERVISOR)
def missing_signature_review(request, pk: int):
    row = get_object_or_404(missing_signatures_for(request.access), pk=pk)
    review_missing_signature(
        row.pk,
        note=(request.POST.get("note") or "")[:300],
        user=request.user,
        access=request.access,
        request=request,
    )
    messages.success(request, _("Marked as reviewed."))
    return redirect("carriage:missing_signatures")
