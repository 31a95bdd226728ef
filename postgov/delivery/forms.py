"""Forms of home pickups (the citizen's booking, the supervisor's assignment, the
postman's failed visit), the signature drawn on the screen, or why there is none, and the
public tracking form (a dossier code, an item number or a booking code: the tracking page
and an expired pickup's page both show it)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from postgov.catalog import catalog_access
from postgov.catalog.models import Procedure
from postgov.delivery import scheduling
from postgov.delivery.models import MissingSignature, PickupAttempt, PickupBooking
from postgov.delivery.signatures import ProofFileError, Unsigned, signature_png
from postgov.lib.forms import StyledFormMixin
from postgov.lib.phones import PhoneError, normalise_mobile
from postgov.places import positions
from postgov.places.models import Commune, ServicePoint


def _date_bounds(widget: forms.Widget) -> None:
    widget.attrs.update(
        min=f"{scheduling.first_day():%Y-%m-%d}", max=f"{scheduling.last_day():%Y-%m-%d}"
    )


class SignForm(StyledFormMixin, forms.Form):
    """A signature drawn on the screen (a PNG data URL filled in by signature.js), or the
    reason the person could not sign there and what happened. Whether one of them is
    enough is the action's decision; this only reads them."""

    signature = forms.CharField(required=False, widget=forms.HiddenInput)
    unsigned_reason = forms.ChoiceField(
        label=_("Why there is no signature on the screen"),
        choices=MissingSignature.Reason.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    unsigned_note = forms.CharField(
        label=_("What happened"),
        required=False,
        max_length=300,
        help_text=_("A supervisor of the post office reviews every step without a signature."),
    )

    def clean(self):
        data = super().clean()
        try:
            signature_png(data.get("signature"))
        except ProofFileError:
            # The drawing cannot be kept: ask for it again rather than go on without it.
            data["signature"] = ""
            self.add_error(None, _("The signature could not be read: clear it and sign again."))
        return data

    def signature_png(self) -> bytes | None:
        return signature_png(self.cleaned_data.get("signature"))

    def unsigned(self) -> Unsigned | None:
        reason = self.cleaned_data.get("unsigned_reason") or ""
        if not reason:
            return None
        return Unsigned(reason, self.cleaned_data.get("unsigned_note") or "")


class BookingForm(StyledFormMixin, forms.Form):
    procedure = forms.ModelChoiceField(
        queryset=Procedure.objects.none(),
        label=_("Procedure"),
        empty_label=_("Choose the procedure"),
    )
    name = forms.CharField(label=_("Full name"), max_length=200)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    address = forms.CharField(
        label=_("Address (house number, street, village)"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    commune = forms.ModelChoiceField(
        queryset=Commune.objects.none(),
        label=_("Commune or ward (since 1 July 2025)"),
        empty_label=_("Choose"),
    )
    date = forms.DateField(
        label=_("Day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    window = forms.ChoiceField(
        label=_("Time"), choices=PickupBooking.Window.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note for the postman"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. the house behind the school")}),
    )
    consent = forms.BooleanField(
        label=_("I agree that the post office uses these details to collect my dossier."),
    )
    # Filled by the map's pin (static/js/map.js); without JavaScript they stay empty and
    # the commune's centre is used, marked approximate. Text, not numbers: a bad value is
    # told above the form, not beside a field nobody sees.
    latitude = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    position: positions.Position | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        in_force = catalog_access.procedures_in_force_by_post()
        self.fields["procedure"].queryset = in_force
        provinces = ServicePoint.objects.filter(active=True).values("commune__province_id")
        self.fields["commune"].queryset = (
            Commune.objects.filter(province_id__in=provinces)
            .select_related("province")
            .order_by("province__code", "name_folded")
        )
        _date_bounds(self.fields["date"].widget)

    def clean_phone(self):
        try:
            return normalise_mobile(self.cleaned_data["phone"])
        except PhoneError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        day, commune = data.get("date"), data.get("commune")
        if day is not None:
            problem = scheduling.day_problem(day, commune.province_id if commune else None)
            if problem:
                self.add_error("date", problem)
        self._check_position(data, commune)
        return data

    def _check_position(self, data, commune) -> None:
        latitude, longitude = (data.get("latitude") or "").strip(), (data.get("longitude") or "")
        longitude = longitude.strip()
        if not latitude and not longitude:
            return
        if commune is None:
            return  # the commune's own error says what to do first
        try:
            self.position = positions.checked(
                float(latitude), float(longitude), commune, positions.Source.PIN
            )
        except (ValueError, positions.PositionError) as exc:
            message = (
                str(exc)
                if isinstance(exc, positions.PositionError)
                else _("The position is not a valid latitude and longitude.")
            )
            self.add_error(None, message)


class MoveForm(StyledFormMixin, forms.Form):
    """Another day and time for a booking: the rules of a new booking
    (`delivery.scheduling`), checked again by `actions.move_pickup` with the capacity."""

    date = forms.DateField(
        label=_("New day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    window = forms.ChoiceField(
        label=_("New time"), choices=PickupBooking.Window.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, booking: PickupBooking, **kwargs):
        kwargs.setdefault("auto_id", f"id_move{booking.pk}_%s")
        super().__init__(*args, **kwargs)
        self.booking = booking
        _date_bounds(self.fields["date"].widget)

    def clean(self):
        data = super().clean()
        day = data.get("date")
        if day is not None:
            problem = scheduling.day_problem(day, self.booking.province_id)
            if problem:
                self.add_error("date", problem)
        return data


class AssignForm(StyledFormMixin, forms.Form):
    postman = forms.ModelChoiceField(queryset=None, label=_("Postman"), empty_label=None)

    def __init__(self, *args, postmen, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["postman"].queryset = postmen


class FailedVisitForm(StyledFormMixin, forms.Form):
    reason = forms.ChoiceField(
        label=_("Why could the dossier not be collected?"),
        choices=PickupAttempt.Reason.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("reason") == PickupAttempt.Reason.OTHER and not data.get("note"):
            self.add_error("note", _("Please describe the reason."))
        return data


class TrackForm(StyledFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Dossier code, postal item number or booking code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone_last4 = forms.RegexField(
        label=_("Last 4 digits of the phone"),
        regex=r"^\d{4}$",
        required=False,
        error_messages={"invalid": _("Type the last 4 digits.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"}
        ),
    )


class DoorPositionForm(forms.Form):
    """Filled by the phone's geolocation (static/js/door-position.js)."""

    latitude = forms.FloatField(widget=forms.HiddenInput)
    longitude = forms.FloatField(widget=forms.HiddenInput)
