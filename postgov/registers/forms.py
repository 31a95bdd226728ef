from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from postgov.identity.models import User
from postgov.lib.forms import StyledFormMixin
from postgov.places.models import Province
from postgov.places.picker import CommuneField
from postgov.registers import schemas
from postgov.registers.fields import SchemaError, check_schema
from postgov.registers.models import Membership, Project


class ProjectForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    schema = forms.ChoiceField(label=_("Ready schema"), choices=())
    province = forms.ModelChoiceField(label=_("Province"), queryset=Province.objects.none())
    commune = CommuneField(
        label=_("Commune (when the register covers only one)"),
        required=False,
    )
    keying_mode = forms.ChoiceField(
        label=_("Keying mode"),
        choices=Project.KeyingMode.choices,
        initial=Project.KeyingMode.BLIND_DOUBLE,
        help_text=_(
            "Immediate verification: the second operator keys again each field that differs "
            "from the first entry. Sample: one entry, and the share below is keyed twice."
        ),
    )
    sample_percent = forms.IntegerField(
        label=_("Quality sample (%)"), min_value=0, max_value=100, initial=5
    )

    def __init__(self, *args, provinces=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schema"].choices = schemas.choices()
        if provinces is not None:
            self.fields["province"].queryset = provinces

    def clean(self):
        data = super().clean()
        commune, province = data.get("commune"), data.get("province")
        if commune is not None and province is not None and commune.province_id != province.pk:
            self.add_error("commune", _("This commune is not in the chosen province."))
        return data


class MemberForm(StyledFormMixin, forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)

    def clean_username(self):
        user = User.objects.filter(username=self.cleaned_data["username"], is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active account has this username."))
        return user


class SchemaForm(StyledFormMixin, forms.Form):
    fields_json = forms.CharField(
        label=_("Fields (JSON)"), widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"})
    )

    def clean_fields_json(self):
        try:
            fields = json.loads(self.cleaned_data["fields_json"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)s).") % {"line": exc.lineno}
            ) from exc
        try:
            return check_schema(fields)
        except SchemaError as exc:
            raise forms.ValidationError(str(exc)) from exc


class UploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Scans (PDF, TIFF, JPEG or PNG)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.tif,.tiff,.jpg,.jpeg,.png"}),
    )
    label = forms.CharField(label=_("Label"), max_length=200, required=False)
    pages_per_record = forms.IntegerField(
        label=_("Pages per record"), min_value=1, max_value=20, initial=1
    )
