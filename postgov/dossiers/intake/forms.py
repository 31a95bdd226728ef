"""The intake wizard's forms. They check what a person typed; the changes themselves are
made by the `intake` modules."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from postgov.catalog import catalog_access
from postgov.catalog.models import ExemptCategory, Fee, Procedure
from postgov.dossiers.intake.drafts import postal_refusal
from postgov.dossiers.intake.pricing import RouteAndFees
from postgov.dossiers.models import (
    DossierDocument,
    PaymentMethod,
    ReturnMethod,
    ServiceOption,
)
from postgov.dossiers.templatetags.money import grouped
from postgov.lib.forms import ModelChoiceField, StyledFormMixin
from postgov.lib.idcard import Gender, IdCardError, validate_cccd
from postgov.lib.phones import PhoneError, normalise_mobile
from postgov.places import positions
from postgov.places.models import Commune, ServicePoint

DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d%m%Y", "%Y-%m-%d"]


class FastSelect(forms.Select):
    """A select whose options are written in Python. Django renders each option through
    the template engine, which for a province's 78 communes or 45 post offices costs more
    than the rest of the page; the HTML is the same."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        chosen = set(self.format_value(value))
        parts = [format_html("<select{}>", flatatt(final_attrs))]
        for option_value, option_label in self.choices:
            text = "" if option_value is None else str(option_value)
            parts.append(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    text,
                    mark_safe(" selected") if text in chosen else "",
                    option_label,
                )
            )
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308  (every piece escaped above)


class CommuneField(ModelChoiceField):
    """Communes of one province by their names (the province is the point's), without a
    query per option for the province's name."""

    widget = FastSelect

    def label_from_instance(self, obj) -> str:
        return obj.name


class FeeField(ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        what = f"{obj.option} — {obj.name}" if obj.option else obj.name
        return f"{what}: {grouped(obj.amount)} ₫"


def _text(label, max_length, required=True, **attrs):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}),
    )


class ApplicantForm(StyledFormMixin, forms.Form):
    """Step 1: who applies (from the ID-card QR or typed), the service, the procedure."""

    token = forms.UUIDField(widget=forms.HiddenInput)
    pickup = forms.IntegerField(required=False, widget=forms.HiddenInput)
    point = ModelChoiceField(
        queryset=ServicePoint.objects.none(), label=_("Receiving post office"), empty_label=None
    )
    qr = forms.CharField(
        label=_("Scan the ID card's QR code"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "data-enter": "submit"}
        ),
    )
    name = _text(_("Full name"), 200)
    id_number = _text(_("ID number (12 digits)"), 20, inputmode="numeric")
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(
            format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "autocomplete": "off"}
        ),
    )
    gender = forms.ChoiceField(
        label=_("Gender"),
        choices=[("", "—"), *Gender.choices],
        required=False,
    )
    address = _text(_("Permanent address (house and street)"), 300, required=False)
    commune = CommuneField(
        queryset=Commune.objects.none(),
        label=_("Commune of residence (since 1 July 2025)"),
        required=False,
    )
    phone = _text(_("Mobile phone"), 30, inputmode="tel")
    email = forms.EmailField(label=_("E-mail"), required=False)
    representative_name = _text(_("Representative's full name"), 200, required=False)
    representative_id_number = _text(
        _("Representative's ID number"), 20, required=False, inputmode="numeric"
    )
    representative_document = _text(_("Authorisation document"), 200, required=False)
    service_option = forms.ChoiceField(
        label=_("Service"), choices=ServiceOption.choices, widget=forms.RadioSelect
    )
    q = forms.CharField(
        label=_("Find a procedure"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "data-enter": "submit", "type": "search"}
        ),
    )
    procedure = ModelChoiceField(
        queryset=Procedure.objects.all(),
        label=_("Procedure"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the procedure.")},
    )

    def __init__(self, *args, points=(), province_id=None, **kwargs):
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
        self.version = None

    def clean_phone(self):
        try:
            return normalise_mobile(self.cleaned_data["phone"])
        except PhoneError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_procedure(self):
        procedure = self.cleaned_data["procedure"]
        version = catalog_access.cached_version_in_force(procedure.pk)
        if version is None:
            raise forms.ValidationError(_("This procedure has no version in force today."))
        if not version.postal_allowed:
            raise forms.ValidationError(postal_refusal(version))
        self.version = version
        return procedure

    def clean(self):
        data = super().clean()
        number = data.get("id_number")
        if number:
            try:
                data["id_number"] = validate_cccd(
                    number, data.get("birth_date"), data.get("gender") or None
                )
            except IdCardError as exc:
                self.add_error("id_number", str(exc))
        if data.get("representative_name"):
            rep_number = data.get("representative_id_number", "")
            try:
                data["representative_id_number"] = validate_cccd(rep_number)
            except IdCardError as exc:
                self.add_error("representative_id_number", str(exc))
            if not data.get("representative_document"):
                self.add_error(
                    "representative_document",
                    _("Note the authorisation document (number and date)."),
                )
        else:
            data["representative_id_number"] = data["representative_document"] = ""
        return data


FORM_CHOICES = [
    (DossierDocument.Form.ORIGINAL, _("Original")),
    (DossierDocument.Form.COPY, _("Copy")),
]


class ChecklistForm(StyledFormMixin, forms.Form):
    """Step 2: for each document of the catalog version, present or not, original or
    copy, how many pages; a scan may be attached to each line."""

    scan_other = forms.FileField(label=_("Other scan"), required=False)

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.documents = list(documents)
        for doc in self.documents:
            self.fields[f"present_{doc.pk}"] = forms.BooleanField(
                label=doc.name, required=False, initial=doc.present
            )
            self.fields[f"form_{doc.pk}"] = forms.ChoiceField(
                label=_("Original or copy"),
                choices=FORM_CHOICES,
                initial=doc.form or DossierDocument.Form.COPY,
                # One select and one pages box per row: the column heading alone does not
                # tell a screen reader which document they are for.
                widget=forms.Select(
                    attrs={"aria-label": _("Original or copy: %(name)s") % {"name": doc.name}}
                ),
            )
            self.fields[f"pages_{doc.pk}"] = forms.IntegerField(
                label=_("Pages"),
                initial=doc.pages or 1,
                validators=[MinValueValidator(0), MaxValueValidator(999)],
                widget=forms.NumberInput(
                    attrs={
                        "min": 0,
                        "max": 999,
                        "inputmode": "numeric",
                        "aria-label": _("Pages: %(name)s") % {"name": doc.name},
                    }
                ),
            )
            self.fields[f"scan_{doc.pk}"] = forms.FileField(label=_("Scan"), required=False)
        # The fields above were added after the mixin styled the form: style them here.
        for name, field in self.fields.items():
            widget = field.widget
            if name.startswith("present_"):
                widget.attrs["class"] = "form-check-input"
            elif name.startswith("form_"):
                widget.attrs["class"] = "form-select form-select-sm"
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def clean(self):
        data = super().clean()
        for doc in self.documents:
            if data.get(f"present_{doc.pk}") and data.get(f"pages_{doc.pk}") == 0:
                self.add_error(f"pages_{doc.pk}", _("How many pages?"))
        return data

    def rows(self):
        """(document, present, form, pages, scan) bound fields, for the template."""
        for doc in self.documents:
            yield (
                doc,
                self[f"present_{doc.pk}"],
                self[f"form_{doc.pk}"],
                self[f"pages_{doc.pk}"],
                self[f"scan_{doc.pk}"],
            )


class RouteFeesForm(StyledFormMixin, forms.Form):
    """Step 3: the agency, how the result comes back, fees, exemption and payment."""

    agency = ModelChoiceField(
        queryset=None, label=_("Agency"), empty_label=None, widget=forms.RadioSelect
    )
    return_method = forms.ChoiceField(
        label=_("The result comes back"), choices=ReturnMethod.choices, widget=forms.RadioSelect
    )
    return_address = _text(_("Delivery address"), 300, required=False)
    return_commune = CommuneField(
        queryset=Commune.objects.none(), label=_("Delivery commune"), required=False
    )
    return_point = ModelChoiceField(
        queryset=ServicePoint.objects.none(),
        label=_("Post office for collection"),
        required=False,
        widget=FastSelect,
    )
    # Filled by the map's pin (static/js/map.js); without JavaScript they stay empty and
    # the commune's centre is used, marked approximate.
    return_latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    return_longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    fee_option = FeeField(
        queryset=Fee.objects.none(),
        label=_("Procedure fee"),
        required=False,
        empty_label=None,
        widget=forms.RadioSelect,
    )
    post_collects_fee = forms.BooleanField(
        label=_("The post collects the procedure fee for the agency"), required=False
    )
    weight_g = forms.IntegerField(
        label=_("Weight of the dossier (g)"),
        validators=[MinValueValidator(1), MaxValueValidator(30_000)],
        widget=forms.NumberInput(attrs={"min": 1, "step": 10, "inputmode": "numeric"}),
    )
    exemption = forms.ModelChoiceField(
        queryset=ExemptCategory.objects.filter(active=True),
        label=_("Exempt from postal charges"),
        required=False,
        empty_label=_("No exemption"),
    )
    exemption_note = _text(_("Proof of the exemption"), 200, required=False)
    payment_method = forms.ChoiceField(
        label=_("Payment"),
        choices=PaymentMethod.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    payment_reference = _text(_("Transfer reference"), 60, required=False)

    def __init__(self, *args, dossier, agencies, known_agencies=(), **kwargs):
        """`agencies`: the competent ones, a queryset or a function giving it when needed;
        `known_agencies`: its objects, when the caller holds them."""
        super().__init__(*args, **kwargs)
        province_id = dossier.receiving_point.commune.province_id
        self.fields["agency"].queryset_from(agencies if callable(agencies) else lambda: agencies)
        self.fields["agency"].known(*known_agencies)

        def communes():
            nearby = Commune.objects.filter(province_id=province_id)
            if dossier.return_commune_id:
                nearby = nearby | Commune.objects.filter(pk=dossier.return_commune_id)
            return nearby.order_by("name_folded")

        self.fields["return_commune"].queryset_from(communes)
        self.fields["return_point"].queryset_from(
            lambda: ServicePoint.objects.filter(
                active=True, commune__province_id=province_id
            ).order_by("name")
        )
        self.fields["fee_option"].queryset_from(
            lambda: dossier.procedure_version.fees.order_by("-is_default", "id")
        )
        # The rows this dossier already holds, so a choice of them is not read again.
        self.fields["return_commune"].known(
            dossier.return_commune,
            *[c for c in [dossier.applicant_commune] if c and c.province_id == province_id],
        )
        if dossier.receiving_point.active:
            self.fields["return_point"].known(dossier.receiving_point)
        self.fields["fee_option"].known(*dossier.procedure_version.fees.all())
        if dossier.service_option == ServiceOption.SEND:
            self.fields["return_method"].choices = [
                (ReturnMethod.AT_AGENCY, ReturnMethod.AT_AGENCY.label)
            ]
        else:
            self.fields["return_method"].choices = [
                (ReturnMethod.DELIVER, ReturnMethod.DELIVER.label),
                (ReturnMethod.HOLD, ReturnMethod.HOLD.label),
            ]

    def clean(self):
        data = super().clean()
        if data.get("exemption") and not data.get("exemption_note"):
            self.add_error("exemption_note", _("Note the proof (e.g. the card number)."))
        if data.get("payment_method") == PaymentMethod.TRANSFER and not data.get(
            "payment_reference"
        ):
            self.add_error("payment_reference", _("Note the reference of the transfer."))
        method = data.get("return_method")
        if method == ReturnMethod.DELIVER:
            if not data.get("return_address"):
                self.add_error("return_address", _("Give the delivery address."))
            if not data.get("return_commune"):
                self.add_error("return_commune", _("Choose the commune."))
            else:
                self._check_position(data)
        if method == ReturnMethod.HOLD and not data.get("return_point"):
            self.add_error("return_point", _("Choose the post office."))
        return data

    def _check_position(self, data) -> None:
        latitude, longitude = data.get("return_latitude"), data.get("return_longitude")
        if latitude is None and longitude is None:
            return
        try:
            self.position = positions.checked(
                latitude, longitude, data["return_commune"], positions.Source.PIN
            )
        except positions.PositionError as exc:
            self.add_error(None, str(exc))

    position: positions.Position | None = None

    def choices(self) -> RouteAndFees:
        """The valid form's choices, as the intake actions take them."""
        data = self.cleaned_data
        return RouteAndFees(
            return_position=self.position,
            agency=data.get("agency"),
            return_method=data["return_method"],
            return_address=data.get("return_address") or "",
            return_commune=data.get("return_commune"),
            return_point=data.get("return_point"),
            fee_option=data.get("fee_option"),
            post_collects_fee=bool(data.get("post_collects_fee")),
            weight_g=data["weight_g"],
            exemption=data.get("exemption"),
            exemption_note=data.get("exemption_note") or "",
            payment_method=data.get("payment_method") or "",
            payment_reference=data.get("payment_reference") or "",
        )


class ConfirmForm(StyledFormMixin, forms.Form):
    seal_number = _text(
        _("Number of the seal (if the bag has one)"), 30, required=False, spellcheck="false"
    )


class CancelForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("Why is the draft cancelled?"), max_length=300)
