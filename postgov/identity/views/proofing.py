"""The clerk's counter check and the supervisor's review queue."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from postgov.identity import actions, otp, proofing
from postgov.identity.access import role_required
from postgov.identity.forms import normalise_phone
from postgov.identity.models import ProofingCase, Role, User
from postgov.lib.forms import StyledFormMixin
from postgov.lib.idcard import Gender, IdCardError, parse_qr
from postgov.places.models import ServicePoint
from postgov.places.picker import CommuneField

PROOFING_ROLES = proofing.PROOFING_ROLES


class StartForm(StyledFormMixin, forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Enrolment code"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150, required=False)
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone of the account"), max_length=20, required=False
    )


class CardForm(StyledFormMixin, forms.Form):
    qr = forms.CharField(
        label=gettext_lazy("Scan the QR code on the ID card"),
        max_length=2000,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


class RescanForm(StyledFormMixin, forms.Form):
    """The card read again on the checklist step (a misread, the wrong card)."""

    qr = forms.CharField(
        label=gettext_lazy("Wrong card or misread? Scan the card again"),
        max_length=2000,
        # Optional on the page (the checklist is filled in the same form); an empty
        # scan is answered by the view.
        required=False,
        # Sent with the checklist form (it sits beside the card, outside that form).
        widget=forms.TextInput(attrs={"autocomplete": "off", "form": "decide-form"}),
    )

    def clean_qr(self) -> str:
        value = self.cleaned_data["qr"]
        if not value.strip():
            raise forms.ValidationError(_("Scan the QR code on the ID card into this field."))
        return value


class ChecklistForm(StyledFormMixin, forms.Form):
    face_matches = forms.BooleanField(
        label=gettext_lazy("The face matches the photo on the card"), required=False
    )
    security_features = forms.BooleanField(
        label=gettext_lazy("The card's security features are genuine"), required=False
    )
    not_expired = forms.BooleanField(label=gettext_lazy("The card has not expired"), required=False)
    fraud = forms.BooleanField(
        label=gettext_lazy("I suspect fraud: send to the supervisor"), required=False
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AssistedForm(StyledFormMixin, forms.Form):
    username = forms.CharField(label=gettext_lazy("Username for the new account"), max_length=40)
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone (if any)"), max_length=20, required=False
    )
    current_address = forms.CharField(
        label=gettext_lazy("Current address: house number, street, hamlet"), max_length=300
    )
    current_commune = CommuneField(label=gettext_lazy("Current address: commune"))

    def clean_username(self):
        value = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=value).exists():
            raise forms.ValidationError(_("This username is taken; choose another."))
        return value

    def clean_phone(self):
        value = self.cleaned_data["phone"]
        return normalise_phone(value) if value else ""


class ReviewForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Reason for your decision"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    unbind_other = forms.BooleanField(
        label=gettext_lazy("Withdraw the other account's verification (it was the fraudulent one)"),
        required=False,
    )


def _my_point(request) -> ServicePoint | None:
    ids = sorted(request.access.point_ids(*PROOFING_ROLES))
    return ServicePoint.objects.filter(pk__in=ids).order_by("pk").first()


def _cases(request, *roles):
    return request.access.scope(
        ProofingCase.objects.select_related("user", "service_point", "clerk"),
        point_field="service_point",
        roles=roles or PROOFING_ROLES,
    )


def _initial_from(form_class: type[forms.Form], data, *, leave_out: tuple[str, ...] = ()) -> dict:
    """What the clerk typed, as a form's initial values: shown again after a scan without
    the 'required' errors a bound form would show for fields not filled in yet."""
    initial = {}
    for name, field in form_class.base_fields.items():
        if name in leave_out:
            continue
        if isinstance(field, forms.BooleanField):
            initial[name] = bool(data.get(name))
        elif name in data:
            initial[name] = data.get(name)
    return initial


def _reason_texts() -> dict[str, str]:
    return {
        "id_number": _("The ID number on the card is not the one the account declared."),
        "gender": _("The gender on the card is not the account's."),
        "name": _("The name on the card differs from the account's by more than a typo."),
        "birth_date": _(
            "The date of birth on the card differs from the account's in more than one "
            "of day, month and year."
        ),
        "two_corrections": _(
            "Both the name and the date of birth differ: only one small correction is allowed."
        ),
        "untied": _(
            "Nothing but the name ties this card to the account: the account has no ID "
            "number to compare and its date of birth is not exactly the card's."
        ),
    }


def _comparison(case: ProofingCase) -> dict:
    """The account and the card side by side, each fact marked as the check saw it."""
    if not case.card:
        return {}
    card_birth = date.fromisoformat(case.card["birth_date"])
    card_gender = dict(Gender.choices).get(case.card.get("gender"), "")
    user = case.user
    rows = [
        ("name", _("Full name"), user.full_name if user else "", case.card["full_name"]),
        (
            "birth_date",
            _("Date of birth"),
            user.birth_date.strftime("%d/%m/%Y") if user and user.birth_date else "",
            card_birth.strftime("%d/%m/%Y"),
        ),
        ("gender", _("Gender"), user.get_gender_display() if user else "", card_gender),
        (
            "id_number",
            _("ID number"),
            (user.verified_id_number or user.declared_id_number) if user else "",
            case.card["id_number"],
        ),
    ]
    check = proofing.assess(user, case.card) if user else None
    return {
        "rows": [
            {
                "key": key,
                "label": label,
                "account": account,
                "card": card,
                "state": check.facts.get(key, "") if check else "",
            }
            for key, label, account, card in rows
        ],
        "address": case.card.get("address", ""),
        "reasons": [_reason_texts()[r] for r in check.reasons] if check else [],
    }


@role_required(*PROOFING_ROLES)
@require_http_methods(["GET", "POST"])
def proofing_start(request):
    point = _my_point(request)
    form = StartForm(request.POST or None)
    if request.method == "POST" and point is not None and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("action") == "assisted":
            case = proofing.open_case(
                request, kind=ProofingCase.Kind.ASSISTED, point=point, user=None
            )
            return redirect("identity:proofing_case", case.pk)
        if data["code"]:
            code = actions.find_enrolment_code(data["code"])
            if code is None:
                form.add_error(
                    "code",
                    _(
                        "This enrolment code is unknown, used or expired. Ask the citizen to show "
                        "the code on their account page, or search the account below."
                    ),
                )
            else:
                case = proofing.open_case(
                    request,
                    kind=ProofingCase.Kind.ENROLMENT_CODE,
                    point=point,
                    user=code.user,
                    enrolment_code=code,
                )
                return redirect("identity:proofing_case", case.pk)
        elif data["username"] and data["phone"]:
            try:
                phone = normalise_phone(data["phone"])
            except forms.ValidationError as exc:
                form.add_error("phone", exc)
            else:
                user = User.objects.filter(
                    username__iexact=data["username"],
                    phone=phone,
                    is_active=True,
                    phone_verified_at__isnull=False,
                ).first()
                if user is None:
                    form.add_error(
                        None, _("No account with this username and verified phone number.")
                    )
                else:
                    case = proofing.open_case(
                        request, kind=ProofingCase.Kind.WALK_IN, point=point, user=user
                    )
                    try:
                        otp.send_code(user, "proofing", "sms", user.phone)
                    except otp.TooManyCodes:
                        messages.error(
                            request, _("Too many codes were sent to this phone. Try again later.")
                        )
                    return redirect("identity:proofing_case", case.pk)
        else:
            form.add_error(None, _("Scan an enrolment code, or enter a username and phone number."))
    recent = _cases(request)[:10]
    supervisor = request.access.has_role(Role.SUPERVISOR)
    waiting = (
        _cases(request, Role.SUPERVISOR).filter(status=ProofingCase.Status.REVIEW).count()
        if supervisor
        else 0
    )
    return render(
        request,
        "identity/proofing_start.html",
        {
            "form": form,
            "point": point,
            "recent": recent,
            "supervisor": supervisor,
            "waiting": waiting,
        },
    )


@role_required(*PROOFING_ROLES)
@require_http_methods(["GET", "POST"])
def proofing_case(request, pk: int):
    # Clerks work only on cases of their own point.
    case = get_object_or_404(_cases(request), pk=pk)
    confirmed = case.kind != ProofingCase.Kind.WALK_IN or case.checklist.get("account_confirmed")
    card_form = CardForm()
    rescan_form = RescanForm(prefix="rescan")
    checklist_form = ChecklistForm()
    assisted_form = AssistedForm() if case.kind == ProofingCase.Kind.ASSISTED else None
    action = request.POST.get("action") if request.method == "POST" else None
    if case.status != ProofingCase.Status.OPEN:
        action = None
    if action == "decide" and case.card and "rescan" in request.POST:
        # Read the card again on the same case; what the clerk typed stays on the page.
        rescan_form = RescanForm(request.POST, prefix="rescan")
        leave_out: tuple[str, ...] = ()
        if rescan_form.is_valid():
            try:
                card = parse_qr(rescan_form.cleaned_data["qr"])
            except IdCardError as exc:
                rescan_form.add_error("qr", str(exc))
                proofing.card_refused(request, case)
            else:
                previous = case.card.get("id_number")
                case = proofing.attach_card(request, case, card)
                rescan_form = RescanForm(prefix="rescan")
                if card.id_number != previous:
                    # The ticks were given for another card.
                    leave_out = proofing.CHECKLIST
                    messages.warning(
                        request,
                        _("A different card was read: check it and the person again."),
                    )
                else:
                    messages.info(request, _("The card was read again."))
        checklist_form = ChecklistForm(
            initial=_initial_from(ChecklistForm, request.POST, leave_out=leave_out)
        )
        if assisted_form is not None:
            assisted_form = AssistedForm(initial=_initial_from(AssistedForm, request.POST))
    elif action == "confirm_account" and not confirmed:
        if otp.check_code(
            case.user, "proofing", request.POST.get("code", ""), destination=case.user.phone
        ):
            proofing.confirm_account(request, case)
            return redirect("identity:proofing_case", case.pk)
        messages.error(request, _("This code is not valid. Check it and try again."))
    elif action == "card" and confirmed:
        card_form = CardForm(request.POST)
        if card_form.is_valid():
            try:
                card = parse_qr(card_form.cleaned_data["qr"])
            except IdCardError as exc:
                card_form.add_error("qr", str(exc))
                proofing.card_refused(request, case)
            else:
                proofing.attach_card(request, case, card)
                return redirect("identity:proofing_case", case.pk)
    elif action == "decide" and case.card:
        checklist_form = ChecklistForm(request.POST)
        if assisted_form is not None:
            assisted_form = AssistedForm(request.POST)
        if checklist_form.is_valid() and (assisted_form is None or assisted_form.is_valid()):
            data = checklist_form.cleaned_data
            letter = None
            if assisted_form is not None and case.user is None:
                if (
                    case.conflict_user_id
                    or data["fraud"]
                    or not all(data[k] for k in proofing.CHECKLIST)
                ):
                    pass  # no account is created for a doubtful or failed check
                else:
                    user, password, codes = proofing.assisted_registration(
                        request, case, **assisted_form.cleaned_data
                    )
                    letter = {"username": user.username, "password": password, "codes": codes}
            if case.user is None and not (data["fraud"] or case.conflict_user_id):
                case = proofing.fail_without_account(request, case)
            else:
                case = proofing.decide(
                    request,
                    case,
                    checklist=data,
                    fraud=data["fraud"],
                    note=data["note"],
                    fail=request.POST.get("outcome") == "fail",
                )
            if letter and case.status == ProofingCase.Status.PASSED:
                return render(
                    request, "identity/proofing_letter.html", {"case": case, "letter": letter}
                )
            return redirect("identity:proofing_case", case.pk)
    needs_supervisor = bool(case.conflict_user_id) or case.card_match == ProofingCase.Match.MISMATCH
    return render(
        request,
        "identity/proofing_case.html",
        {
            "case": case,
            "comparison": _comparison(case),
            "needs_supervisor": needs_supervisor,
            "confirmed": confirmed,
            "card_form": card_form,
            "rescan_form": rescan_form,
            "checklist_form": checklist_form,
            "assisted_form": assisted_form,
        },
    )


@role_required(Role.SUPERVISOR)
def proofing_review_queue(request):
    cases = (
        _cases(request, Role.SUPERVISOR)
        .filter(status=ProofingCase.Status.REVIEW)
        .order_by("created_at")
    )
    page = Paginator(cases, 30).get_page(request.GET.get("page"))
    return render(request, "identity/proofing_review_queue.html", {"page_obj": page})


@role_required(Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def proofing_review(request, pk: int):
    case = get_object_or_404(_cases(request, Role.SUPERVISOR), pk=pk)
    form = ReviewForm(request.POST or None)
    own_case = case.clerk_id == request.user.pk
    if (
        request.method == "POST"
        and case.status == ProofingCase.Status.REVIEW
        and not own_case
        and form.is_valid()
    ):
        approve = request.POST.get("decision") == "approve"
        try:
            proofing.review(
                request,
                case,
                approve=approve,
                note=form.cleaned_data["note"],
                unbind_other=form.cleaned_data["unbind_other"],
            )
        except proofing.ReviewRefused as refused:
            if refused.reason == "id_number_taken":
                form.add_error(
                    "unbind_other",
                    _(
                        "Another account is verified with this ID number: "
                        "withdraw its verification first, or reject."
                    ),
                )
            elif refused.reason == "no_account":
                form.add_error(
                    None,
                    _(
                        "This registration at the counter created no account: there is "
                        "nothing to approve. Reject it; the person can be registered again "
                        "once the doubt is cleared."
                    ),
                )
            else:
                form.add_error(None, _("You opened this case: another supervisor decides."))
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("identity:proofing_review_queue")
    return render(
        request,
        "identity/proofing_review.html",
        {
            "case": case,
            "form": form,
            "own_case": own_case,
            "comparison": _comparison(case),
            "conflict": proofing.other_verified_account(case) if case.card else None,
            "told": bool(case.user and proofing.verified_channels(case.user)),
        },
    )
