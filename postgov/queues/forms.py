from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from postgov.lib.phones import PhoneError, normalise_mobile
from postgov.queues.models import QueueService


def _service_field(**kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=QueueService.objects.none(),
        error_messages={
            "required": _("Choose a service."),
            "invalid_choice": _("Choose a service."),
        },
        **kwargs,
    )


class _PointServiceForm(forms.Form):
    """A choice among the point's open services."""

    def __init__(self, *args, point, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = QueueService.objects.filter(
            service_point=point, active=True
        )


class IssueForm(_PointServiceForm):
    service = _service_field(label=_("Service"), empty_label=None, widget=forms.RadioSelect)


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=_("Appointment code"),
        max_length=20,
        error_messages={"required": _("Type the code of the appointment.")},
    )


class TransferForm(_PointServiceForm):
    service = _service_field(label=_("Send to"))


class RateForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose from 1 to 5 stars."),
            "invalid_choice": _("Choose from 1 to 5 stars."),
        },
    )


class ScreenForm(forms.Form):
    name = forms.CharField(
        label=_("Screen name"),
        max_length=60,
        error_messages={"required": _("Give the screen a name, e.g. where it hangs.")},
    )


class BookForm(forms.Form):
    slot = forms.ChoiceField(
        label=_("Time"),
        error_messages={
            "required": _("Choose a time."),
            "invalid_choice": _("That time is no longer free. Choose another time."),
        },
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=30,
        help_text=_("We send the appointment's code and a link to cancel it by text message."),
        error_messages={"required": _("Please enter a mobile number.")},
    )

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [
            (s.value, f"{s.day:%d/%m/%Y} {s.starts_at:%H:%M}–{s.ends_at:%H:%M}") for s in slots
        ]

    def clean_phone(self):
        try:
            return normalise_mobile(self.cleaned_data["phone"])
        except PhoneError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_slot(self):
        moment = datetime.fromisoformat(self.cleaned_data["slot"])
        return moment.date(), moment.time()
