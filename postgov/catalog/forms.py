"""Forms of the catalog pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from postgov.catalog.models import AgencyLevel
from postgov.lib.forms import StyledFormMixin

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_SUFFIXES = (".json", ".csv", ".txt", ".tsv")


class ProcedureFilterForm(StyledFormMixin, forms.Form):
    """The search box and filters of the public catalog (GET)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("e.g. khai sinh"), "autocomplete": "off"}
        ),
    )
    field = forms.ChoiceField(label=_("Field"), required=False)
    level = forms.ChoiceField(
        label=_("Agency level"),
        required=False,
        choices=[("", _("All levels")), *AgencyLevel.choices],
    )
    postal = forms.ChoiceField(
        label=_("By post"),
        required=False,
        choices=[
            ("", _("Any")),
            ("yes", _("May be sent by post")),
            ("no", _("Not by post")),
        ],
    )

    def __init__(self, *args, fields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["field"]
        assert isinstance(field, forms.ChoiceField)  # declared above
        field.choices = [("", _("All fields")), *((f, f) for f in fields)]


class CatalogUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Catalog file"),
        help_text=_("JSON or CSV (UTF-8), at most 5 MB. Nothing is imported until you confirm."),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.csv,.txt,.tsv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        if not upload.name.lower().endswith(UPLOAD_SUFFIXES):
            raise forms.ValidationError(_("Choose a .json or .csv file."))
        return upload


class PointSearchForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Post office or commune"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. Đông Hà")}),
    )
