"""The counter's one page for a linked package: the applicant, the package's checklist,
the return and the payment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from postgov.dossiers.intake.forms import CommuneField
from postgov.dossiers.models import PaymentMethod, ReturnMethod
from postgov.lib.forms import ModelChoiceField, StyledFormMixin
from postgov.lib.idcard import IdCardError, validate_cccd
from postgov.lib.phones import PhoneError, normalise_mobile
from postgov.places.models import Commune, ServicePoint


class PackageForm(StyledFormMixin, forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
    point = ModelChoiceField(
        queryset=ServicePoint.objects.none(), label=_("Receiving post office"), empty_label=None
    )
    name = forms.CharField(label=_("Full name of the person filing"), max_length=200)
    id_number = forms.CharField(
        label=_("ID number (12 digits)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    commune = CommuneField(
        queryset=Commune.objects.none(), label=_("Commune of residence (since 1 July 2025)")
    )
    address = forms.CharField(
        label=_("Permanent address (house and street)"), max_length=300, required=False
    )
    documents = forms.MultipleChoiceField(
        label=_("Documents handed in"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    return_method = forms.ChoiceField(
        label=_("Return of the results"),
        choices=[
            (ReturnMethod.DELIVER, ReturnMethod.DELIVER.label),
            (ReturnMethod.HOLD, ReturnMethod.HOLD.label),
        ],
        widget=forms.RadioSelect,
        initial=ReturnMethod.DELIVER,
    )
    return_address = forms.CharField(
        label=_("Delivery address (house and street)"), max_length=300, required=False
    )
    payment_method = forms.ChoiceField(
        label=_("Payment"), choices=PaymentMethod.choices, widget=forms.RadioSelect
    )
    payment_reference = forms.CharField(
        label=_("Transfer reference"), max_length=60, required=False
    )

    def __init__(self, *args, points=(), province_id=None, checklist=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset_from(
            lambda: ServicePoint.objects.filter(pk__in=[p.pk for p in points])
        )
        self.fields["point"].known(*points)
        if len(points) == 1:
            self.fields["point"].widget = forms.HiddenInput()
        self.fields["commune"].queryset_from(
            lambda: Commune.objects.filter(province_id=province_id).order_by("name_folded")
        )
        self.fields["documents"].choices = [(line.key, line.name) for line in checklist]
        self.checklist = list(checklist)

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_phone(self):
        try:
            return normalise_mobile(self.cleaned_data["phone"])
        except PhoneError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_id_number(self):
        try:
            return validate_cccd(self.cleaned_data["id_number"])
        except IdCardError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        if data.get("return_method") == ReturnMethod.DELIVER and not (
            data.get("return_address") or data.get("address")
        ):
            self.add_error("return_address", _("Give the delivery address."))
        if data.get("payment_method") == PaymentMethod.TRANSFER and not data.get(
            "payment_reference"
        ):
            self.add_error("payment_reference", _("Note the reference of the bank transfer."))
        return data

    def rows(self):
        """(line, checkbox) per document of the package's checklist."""
        boxes = {box.data["value"]: box for box in self["documents"]}
        return [(line, boxes.get(line.key)) for line in self.checklist]
