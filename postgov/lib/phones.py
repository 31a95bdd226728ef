"""Vietnamese mobile numbers, checked with `phonenumbers` (Google's libphonenumber data).

Stored in the national form people recognise (`0912345678`); SMS gateways get E.164
(`+84912345678`).
"""

from __future__ import annotations

import phonenumbers
from django.utils.translation import gettext as _
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType


class PhoneError(ValueError):
    """Not a Vietnamese mobile number; the message is in the active language."""


MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def _parse(text: str) -> phonenumbers.PhoneNumber:
    cleaned = (text or "").strip()
    if not cleaned or len(cleaned) > 30:
        raise PhoneError(_("Please enter a mobile number."))
    try:
        number = phonenumbers.parse(cleaned, "VN")
    except NumberParseException as exc:
        raise PhoneError(_("The phone number is not well formed.")) from exc
    if not phonenumbers.is_valid_number_for_region(number, "VN"):
        raise PhoneError(_("Not a valid Vietnamese phone number."))
    return number


def normalise_mobile(text: str) -> str:
    """'+84 912 345 678', '0912.345.678' -> '0912345678'; PhoneError otherwise."""
    number = _parse(text)
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise PhoneError(_("A mobile number is needed for text messages (not a landline)."))
    return "0" + str(number.national_number)


def to_e164(national: str) -> str:
    """'0912345678' -> '+84912345678' (what SMS gateways expect); '' stays ''."""
    if not national:
        return ""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(national, "VN"), PhoneNumberFormat.E164
        )
    except NumberParseException:
        return national


def last_digits(phone: str, count: int = 4) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits[-count:]
