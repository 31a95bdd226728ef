"""The forms of the agency's pages: one per action that needs more than a click."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from postgov.dossiers.agency.actions import RefusalReason, ResultFile, StopReason
from postgov.lib.forms import StyledFormMixin


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".pdf,image/png,image/jpeg"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class NoteForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The step's own papers (a letter, an annex to Form 02...), kept with its event.
    files = MultipleFileField(
        label=_("Attached documents (PDF, PNG, JPEG; up to 10 MB each)"), required=False
    )

    def action_data(self) -> dict:
        uploads = self.cleaned_data.get("files") or []
        files = [ResultFile(upload.name[:200], upload.read()) for upload in uploads]
        return {"note": self.cleaned_data.get("note", ""), "files": files}


class RefuseForm(NoteForm):
    reason_code = forms.ChoiceField(
        label=_("Reason"), choices=RefusalReason.choices, widget=forms.RadioSelect
    )
    field_order = ["reason_code", "note", "files"]

    def action_data(self) -> dict:
        return {**super().action_data(), "reason_code": self.cleaned_data["reason_code"]}


class StopForm(RefuseForm):
    reason_code = forms.ChoiceField(
        label=_("Reason"), choices=StopReason.choices, widget=forms.RadioSelect
    )


class SupplementForm(NoteForm):
    missing = forms.CharField(
        label=_("What the citizen must add or correct (one per line)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    field_order = ["missing", "note", "files"]

    def action_data(self) -> dict:
        lines = self.cleaned_data["missing"].splitlines()
        return {**super().action_data(), "missing": lines}


class PaymentForm(NoteForm):
    amount = forms.IntegerField(label=_("Amount (VND)"), min_value=1, max_value=10_000_000_000)
    note = forms.CharField(label=_("What it is for"), max_length=2000)
    field_order = ["amount", "note", "files"]

    def action_data(self) -> dict:
        return {**super().action_data(), "amount": self.cleaned_data["amount"]}


class ExtendForm(NoteForm):
    new_due = forms.DateTimeField(
        label=_("New date and time for the result"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
    )
    note = forms.CharField(
        label=_("Reason for the delay"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    field_order = ["new_due", "note", "files"]

    def action_data(self) -> dict:
        value: datetime = self.cleaned_data["new_due"]
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return {**super().action_data(), "new_due": value}


class WithdrawForm(NoteForm):
    note = forms.CharField(
        label=_("How the citizen asked (letter, date)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResultForm(NoteForm):
    name_1 = forms.CharField(label=_("Result document"), max_length=300, required=False)
    number_1 = forms.CharField(label=_("Number"), max_length=60, required=False)
    issued_1 = forms.DateField(
        label=_("Issued on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    name_2 = forms.CharField(label=_("Another document"), max_length=300, required=False)
    number_2 = forms.CharField(label=_("Number"), max_length=60, required=False)
    issued_2 = forms.DateField(
        label=_("Issued on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    files = MultipleFileField(label=_("Scans (PDF, PNG, JPEG; up to 10 MB each)"), required=False)
    field_order = ["name_1", "number_1", "issued_1", "name_2", "number_2", "issued_2", "files"]

    def action_data(self) -> dict:
        data = self.cleaned_data
        documents = [
            {
                "name": data[f"name_{n}"],
                "number": data[f"number_{n}"],
                "issued_on": data[f"issued_{n}"],
            }
            for n in (1, 2)
            if data.get(f"name_{n}")
        ]
        return {**super().action_data(), "documents": documents}


class LateResultForm(ResultForm):
    """The result of a dossier past its due date: Form 04 goes with it."""

    late_reason = forms.CharField(
        label=_("Reason for the delay (Form 04)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    new_due = forms.DateTimeField(
        label=_("New appointment: when the citizen will have the result"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
    )
    field_order = ["late_reason", "new_due", *ResultForm.field_order]

    def action_data(self) -> dict:
        value: datetime = self.cleaned_data["new_due"]
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return {
            **super().action_data(),
            "late_reason": self.cleaned_data["late_reason"],
            "new_due": value,
        }


ACTION_FORMS = {
    "refuse": RefuseForm,
    "stop": StopForm,
    "request_supplement": SupplementForm,
    "request_payment": PaymentForm,
    "extend": ExtendForm,
    "withdraw": WithdrawForm,
    "result_ready": ResultForm,
}
