"""Forms of PostID pages. Labels are English msgids, shown in Vietnamese."""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from postgov.identity.models import User
from postgov.lib.forms import StyledFormMixin
from postgov.lib.idcard import Gender, IdCardError, validate_cccd
from postgov.places.picker import CommuneField

# The ten-digit national forms `phonenumbers` accepts for Vietnam, whatever the last six
# digits (its mobile and VoIP ranges). A number already written this way is its own
# normal form, and answering it here saves parsing it (about 250 µs, which dominated a
# 630,000-row register import). Anything else still goes through `phonenumbers`, so the
# answers and messages are its own; identity/tests/test_phone_fast_path.py compares the two over
# every three-digit prefix, so an update of its metadata that moves a range fails there.
CANONICAL_NATIONAL = re.compile(
    r"0(?:1[46]0|3\d\d|5(?:[1689]\d|2[238]|59)|672|7[06-9]\d|8(?:[1-8]\d|9[6-9])"
    r"|9(?:[0-8]\d|9[013-9]))\d{6}",
    re.ASCII,  # other scripts' digits are normalised by `phonenumbers`, not kept
)


def normalise_phone(value: str) -> str:
    """A Vietnamese mobile number in national form ('0912345678'), or ValidationError."""
    if value and CANONICAL_NATIONAL.fullmatch(value):
        return value
    try:
        number = phonenumbers.parse(value or "", "VN")
    except phonenumbers.NumberParseException as exc:
        raise forms.ValidationError(_("This is not a phone number.")) from exc
    if not phonenumbers.is_valid_number(number) or number.country_code != 84:
        raise forms.ValidationError(_("Enter a Vietnamese mobile number, e.g. 0912 345 678."))
    return "0" + str(number.national_number)


class LoginForm(StyledFormMixin, AuthenticationForm):
    pass


class StyledPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    pass


class StyledSetPasswordForm(StyledFormMixin, SetPasswordForm):
    pass


class CodeForm(StyledFormMixin, forms.Form):
    METHODS = (
        ("totp", _("Authenticator app")),
        ("sms", _("Code sent by SMS")),
        ("backup", _("Backup code")),
    )
    method = forms.ChoiceField(label=_("Method"), choices=METHODS, widget=forms.RadioSelect)
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, *args, methods: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if methods is not None:
            method = self.fields["method"]
            assert isinstance(method, forms.ChoiceField)  # declared above
            method.choices = [c for c in self.METHODS if c[0] in methods]
            if methods and not self.is_bound:
                self.initial.setdefault("method", methods[0])


class EnrolTotpForm(StyledFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code shown by the app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasskeyAddForm(StyledFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name of this passkey"),
        max_length=60,
        required=False,
        help_text=_("For example the phone or key it is on, so you can tell passkeys apart."),
    )
    # The authenticator's answer, put here by passkeys.js.
    credential = forms.CharField(
        widget=forms.HiddenInput,
        max_length=20_000,
        error_messages={
            "required": _(
                "Your browser did not send a passkey. Passkeys need JavaScript and a "
                "browser that supports them."
            )
        },
    )


class PasskeyRenameForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)


class ReauthForm(StyledFormMixin, forms.Form):
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=4096)


class RegistrationForm(StyledFormMixin, forms.ModelForm):
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html,
        max_length=4096,
    )
    password2 = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        max_length=4096,
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    declared_id_number = forms.CharField(label=_("ID number (12 digits)"), max_length=20)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20)
    email = forms.EmailField(label=_("E-mail (optional)"), required=False)
    permanent_commune = CommuneField(label=_("Permanent address: commune"))
    current_commune = CommuneField(label=_("Current address: commune"))

    class Meta:
        model = User
        fields = [
            "username",
            "full_name",
            "gender",
            "birth_date",
            "declared_id_number",
            "phone",
            "email",
            "permanent_address",
            "permanent_commune",
            "current_address",
            "current_commune",
        ]
        labels = {
            "username": _("Username"),
            "full_name": _("Full name (as on your ID card)"),
            "permanent_address": _("Permanent address: house number, street, hamlet"),
            "current_address": _("Current address: house number, street, hamlet"),
        }

    def __init__(self, *args, keep_password: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        self.fields["permanent_address"].required = True
        self.fields["current_address"].required = True
        self.fields["username"].help_text = _("Letters, digits and . _ - only.")
        # Back on the form with a registration pending: the password chosen then is kept
        # (it was hashed at once and cannot be shown again) unless a new one is typed.
        self.keep_password = keep_password
        if keep_password:
            self.fields["password1"].required = False
            self.fields["password2"].required = False
            self.fields["password1"].help_text = _(
                "Leave both password fields empty to keep the password you chose."
            )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if not re.fullmatch(r"[A-Za-z0-9._-]{3,40}", username):
            raise forms.ValidationError(_("3 to 40 letters, digits, dots, dashes or underscores."))
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken; choose another."))
        return username

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        if value > date.today() or value.year < 1900:
            raise forms.ValidationError(_("Check the date of birth."))
        return value

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        number = data.get("declared_id_number")
        if number:
            try:
                data["declared_id_number"] = validate_cccd(
                    number, data.get("birth_date"), data.get("gender")
                )
            except IdCardError as exc:
                self.add_error("declared_id_number", str(exc))
        p1, p2 = data.get("password1"), data.get("password2")
        if (p1 and p2 and p1 != p2) or (self.keep_password and bool(p1) != bool(p2)):
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            candidate = User(
                username=data.get("username", ""),
                full_name=data.get("full_name", ""),
                email=data.get("email", ""),
            )
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ProfileForm(StyledFormMixin, forms.ModelForm):
    """What a citizen may change alone. Verified facts (name, birth, ID) are locked at
    level 2: changing them means a new counter check."""

    permanent_commune = CommuneField(label=_("Permanent address: commune"), required=False)
    current_commune = CommuneField(label=_("Current address: commune"), required=False)

    class Meta:
        model = User
        fields = [
            "full_name",
            "permanent_address",
            "permanent_commune",
            "current_address",
            "current_commune",
        ]
        labels = {
            "full_name": _("Full name"),
            "permanent_address": _("Permanent address: house number, street, hamlet"),
            "current_address": _("Current address: house number, street, hamlet"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.level >= 2:
            self.fields["full_name"].disabled = True
            self.fields["full_name"].help_text = _(
                "Checked at the counter: it cannot be changed here."
            )


class ContactForm(StyledFormMixin, forms.Form):
    phone = forms.CharField(label=_("New mobile phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("New e-mail"), required=False)

    def clean_phone(self):
        value = self.cleaned_data["phone"]
        return normalise_phone(value) if value else ""


class RecoveryStartForm(StyledFormMixin, forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    phone = forms.CharField(label=_("Mobile phone of the account"), max_length=20)

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])
