from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from postgov.delivery.forms import SignForm
from postgov.delivery.signatures import ProofFileError, signature_png
from postgov.lib.forms import StyledFormMixin
from postgov.statemail.models import Level


class AcceptForm(StyledFormMixin, forms.Form):
    level = forms.ChoiceField(label=_("Secrecy level"), choices=Level.choices)
    sender_body = forms.CharField(label=_("Sender body"), max_length=200)
    addressee_body = forms.CharField(label=_("Addressee body"), max_length=200)
    brought_by = forms.CharField(label=_("Brought by (sender's messenger)"), max_length=200)
    outer_seal = forms.CharField(label=_("Seal number (outer envelope)"), max_length=30)
    inner_seal = forms.CharField(
        label=_("Inner envelope seal number (top secret only)"), max_length=30, required=False
    )
    named_person = forms.CharField(
        label=_("Named person of the inner envelope (top secret only)"),
        max_length=120,
        required=False,
    )
    named_person_id_number = forms.RegexField(
        label=_("Named person's ID number (top secret only)"),
        regex=r"^\d{12}$",
        required=False,
        error_messages={"invalid": _("An ID number has 12 digits.")},
    )
    guard_requested = forms.BooleanField(label=_("The sender asks for a guard"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("level") == Level.TUYET_MAT:
            for name in ("inner_seal", "named_person", "named_person_id_number"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Required for a top secret item."))
        return data


class FindForm(StyledFormMixin, forms.Form):
    number = forms.CharField(label=_("Item number"), max_length=20)


def _guard_id_field():
    return forms.RegexField(
        label=_("Guard's ID number (checked on the card)"),
        regex=r"^\d{9}(\d{3})?$",
        required=False,
        error_messages={"invalid": _("An ID number has 9 or 12 digits.")},
    )


class GuardSignMixin(forms.Form):
    """The guard's signature drawn on the screen of whoever records the event (a PNG data
    URL filled in by signature.js). Whether it is needed is the action's decision."""

    guard_signature = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_guard_signature(self):
        value = self.cleaned_data.get("guard_signature") or ""
        try:
            signature_png(value)
        except ProofFileError:
            self.add_error(
                None, _("The guard's signature could not be read: clear it and sign again.")
            )
            return ""
        return value

    def guard_png(self) -> bytes | None:
        return signature_png(self.cleaned_data.get("guard_signature"))


class OfferForm(StyledFormMixin, forms.Form):
    taker: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Hand over to"), queryset=None)
    place = forms.CharField(label=_("Place"), max_length=200)
    guard = forms.CharField(label=_("Guard accompanying the item"), max_length=120, required=False)
    guard_id_number = _guard_id_field()

    def __init__(self, *args, takers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["taker"].queryset = takers


class SealCheckForm(StyledFormMixin, forms.Form):
    outer_seal = forms.CharField(label=_("Seal number read (outer envelope)"), max_length=30)
    inner_seal = forms.CharField(
        label=_("Seal number read (inner envelope)"), max_length=30, required=False
    )
    seal_broken = forms.BooleanField(label=_("A seal is broken"), required=False)


class TakeForm(SealCheckForm, GuardSignMixin):
    pass


class DeliverForm(SealCheckForm, SignForm, GuardSignMixin):
    recipient_name = forms.CharField(label=_("Recipient's name"), max_length=120)
    recipient_id_number = forms.RegexField(
        label=_("Recipient's ID number (checked on the card)"),
        regex=r"^\d{9}(\d{3})?$",
        error_messages={"invalid": _("An ID number has 9 or 12 digits.")},
    )
    guard = forms.CharField(label=_("Guard accompanying the item"), max_length=120, required=False)
    guard_id_number = _guard_id_field()


class CloseIncidentForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=_("What was found and done"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ClearanceForm(StyledFormMixin, forms.Form):
    user: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Staff member"), queryset=None)
    level = forms.ChoiceField(label=_("Secrecy level"), choices=Level.choices)
    valid_from = forms.DateField(
        label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff


class BookForm(StyledFormMixin, forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
