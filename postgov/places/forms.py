"""Forms of the public places pages: the converter, the filters and the code lookups."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from postgov.lib.forms import StyledFormMixin
from postgov.places.conversion import MAX_ADDRESS_LENGTH
from postgov.places.models import Commune, Province, ServicePoint

MAX_QUERY_LENGTH = 100


class ConvertForm(StyledFormMixin, forms.Form):
    address = forms.CharField(
        label=_("Address before 1 July 2025"),
        max_length=MAX_ADDRESS_LENGTH,
        help_text=_(
            "House number and street, commune or ward, district, province, as written on "
            "the old papers. Diacritics are optional."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "autofocus": True,
                "placeholder": "Phường 1, thành phố Đông Hà, tỉnh Quảng Trị",
            }
        ),
    )


class SearchField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Search"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", MAX_QUERY_LENGTH)
        super().__init__(**kwargs)
        self.widget.attrs.update({"type": "search", "autocomplete": "off"})


class ServicePointFilterForm(StyledFormMixin, forms.Form):
    q = SearchField(help_text=_("Name, address, commune or postal code; diacritics optional."))
    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("All types")), *ServicePoint.Kind.choices],
    )
    commune = forms.ChoiceField(label=_("Commune"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only communes that have a point, plus the one asked for (a link from the
        # converter may name a commune without a point, and the page should say so).
        asked = self.data.get("commune") or ""
        asked = asked if asked.isascii() and asked.isdigit() else ""
        communes = (
            Commune.objects.filter(Q(service_points__active=True) | Q(code=asked))
            .distinct()
            .order_by("name_folded")
            .values_list("code", "name")
        )
        self.fields["commune"].choices = [("", _("All communes")), *communes]


class CommuneFilterForm(StyledFormMixin, forms.Form):
    province = forms.ChoiceField(label=_("Province"), required=False)
    q = SearchField(help_text=_("Name or code; diacritics optional."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        provinces = Province.objects.order_by("name_folded").values_list("code", "name")
        self.fields["province"].choices = [("", _("All provinces")), *provinces]


class PostalCodeSearchForm(StyledFormMixin, forms.Form):
    q = SearchField(
        label=_("Postal code or place"),
        help_text=_("Five digits for one code, fewer for the codes that start with them."),
    )


class VpostcodeForm(StyledFormMixin, forms.Form):
    vpostcode = forms.CharField(
        label=_("Vpostcode"),
        max_length=30,
        help_text=_("12 characters, e.g. 48100R482G4F or 48100 R482+G4F."),
        validators=[RegexValidator(r"^[0-9A-Za-z+\s\-]*$", _("Only digits, letters and +."))],
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class FindForm(StyledFormMixin, forms.Form):
    """Where to look from: a commune or an address (old or new units), a Vpostcode, or
    the browser's position (filled in by static/js/find-location.js)."""

    place = forms.CharField(
        label=_("Commune or address"),
        required=False,
        max_length=MAX_ADDRESS_LENGTH,
        help_text=_(
            "A commune or ward, old or new, or a full address from before 1 July 2025. "
            "Diacritics are optional."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "Phường 1, thành phố Đông Hà, tỉnh Quảng Trị",
            }
        ),
    )
    vpostcode = forms.CharField(
        label=_("or a Vpostcode"),
        required=False,
        max_length=30,
        help_text=_("12 characters, e.g. 48100R482G4F or 48100 R482+G4F."),
        validators=[RegexValidator(r"^[0-9A-Za-z+\s\-]*$", _("Only digits, letters and +."))],
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )

    def clean(self):
        data = super().clean()
        has_position = data.get("latitude") is not None and data.get("longitude") is not None
        given = data.get("place", "").strip() or data.get("vpostcode", "").strip()
        if not (given or has_position or self.errors):
            raise forms.ValidationError(
                _("Type a commune, an address or a Vpostcode, or use your location.")
            )
        return data
