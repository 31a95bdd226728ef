"""The forms of the assisted session's pages. None has a field for the citizen's password
or one-time code: the citizen types those on the portal themselves."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from postgov.assisted.actions import SESSION_ROLES
from postgov.assisted.models import ConsentMethod, NotPossibleReason, Outcome, Portal
from postgov.catalog.models import ExemptCategory, Procedure
from postgov.lib.forms import StyledFormMixin
from postgov.places.models import Commune, ServicePoint


class StartForm(StyledFormMixin, forms.Form):
    point = forms.ModelChoiceField(label=_("Post office"), queryset=ServicePoint.objects.none())
    citizen_name = forms.CharField(label=_("Citizen's full name"), max_length=200)
    citizen_phone = forms.CharField(
        label=_("Mobile phone (optional)"), max_length=20, required=False
    )
    citizen_id_number = forms.CharField(
        label=_("ID number (optional)"), max_length=12, required=False
    )
    portal = forms.ChoiceField(
        label=_("Portal"), choices=Portal.choices, initial=Portal.NATIONAL, widget=forms.RadioSelect
    )
    portal_detail = forms.CharField(
        label=_("Which portal (for a province's, a ministry's or another one)"),
        max_length=200,
        required=False,
    )
    procedure = forms.ModelChoiceField(
        label=_("Procedure"),
        queryset=Procedure.objects.order_by("name"),
        required=False,
        empty_label=_("— not in the list —"),
    )
    service_name = forms.CharField(
        label=_("Or the name of the online service"), max_length=300, required=False
    )

    def __init__(self, *args, access, **kwargs):
        super().__init__(*args, **kwargs)
        points = ServicePoint.objects.filter(pk__in=access.point_ids(*SESSION_ROLES)).order_by(
            "name"
        )
        field = self.fields["point"]
        field.queryset = points  # type: ignore[attr-defined]
        if len(points) == 1:
            field.initial = points[0]
            field.widget = forms.HiddenInput()


class ConsentForm(StyledFormMixin, forms.Form):
    method = forms.ChoiceField(
        label=_("How the citizen gave their consent"),
        choices=ConsentMethod.choices,
        initial=ConsentMethod.SCREEN,
        widget=forms.RadioSelect,
    )
    affirmed = forms.BooleanField(
        label=_("The citizen read the notice and agrees (ticked by the citizen)"),
        required=False,
    )
    paper_reference = forms.CharField(
        label=_("Number of the signed paper"), max_length=40, required=False
    )


class OutcomeForm(StyledFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    portal_code = forms.CharField(
        label=_("Dossier code the portal gave"),
        max_length=60,
        required=False,
        help_text=_("Unit code-YYMMDD-number, as shown on the portal's confirmation."),
    )
    reason = forms.ChoiceField(
        label=_("Why it was not possible"),
        choices=[("", "—"), *NotPossibleReason.choices],
        required=False,
    )
    note = forms.CharField(label=_("Details"), max_length=300, required=False)


class FeeForm(StyledFormMixin, forms.Form):
    exemption = forms.ModelChoiceField(
        label=_("Exemption"),
        queryset=ExemptCategory.objects.filter(active=True).order_by("name"),
        required=False,
        empty_label=_("— none: the citizen pays the fee —"),
    )
    exemption_note = forms.CharField(
        label=_("Proof of the exemption (e.g. the card's number)"), max_length=200, required=False
    )


class ReturnForm(StyledFormMixin, forms.Form):
    recipient_name = forms.CharField(label=_("Recipient's full name"), max_length=200)
    recipient_phone = forms.CharField(label=_("Mobile phone"), max_length=20)
    address = forms.CharField(label=_("Street address"), max_length=300)
    commune = forms.ModelChoiceField(label=_("Commune"), queryset=Commune.objects.none())
    procedure = forms.ModelChoiceField(
        label=_("Procedure"), queryset=Procedure.objects.order_by("name"), required=False
    )
    note = forms.CharField(label=_("Note for the postman"), max_length=300, required=False)

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        communes = Commune.objects.filter(province_id=session.province_id).order_by("name")
        self.fields["commune"].queryset = communes  # type: ignore[attr-defined]
        if session.procedure_id:
            del self.fields["procedure"]
        if not self.is_bound:
            self.initial.update(
                {"recipient_name": session.citizen_name, "recipient_phone": session.citizen_phone}
            )
