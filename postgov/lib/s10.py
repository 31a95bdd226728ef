"""UPU S10 postal item identifiers: `AA 12345678 9 VN`.

Two letters of service indicator, an 8-digit serial, a check digit and the ISO country
code. Check digit (UPU S10 §5): weights 8 6 4 2 3 5 9 7 over the serial;
C = 11 − (S mod 11); 10 → 0 and 11 → 5.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_PATTERN = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")


class S10Error(ValueError):
    pass


def check_digit(serial: str) -> int:
    if not re.fullmatch(r"\d{8}", serial):
        raise S10Error(_("The serial must be 8 digits."))
    total = sum(int(d) * w for d, w in zip(serial, WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def make_item_id(service_indicator: str, number: int, country: str = "VN") -> str:
    if not re.fullmatch(r"[A-Z]{2}", service_indicator):
        raise S10Error(_("The service indicator must be 2 letters."))
    if not 0 < number < 100_000_000:
        raise S10Error(_("Serial out of range (1–99,999,999)."))
    serial = f"{number:08d}"
    return f"{service_indicator}{serial}{check_digit(serial)}{country}"


def normalise(text: str) -> str:
    return re.sub(r"[\s-]", "", text or "").upper()


def is_valid(item_id: str) -> bool:
    match = _PATTERN.match(normalise(item_id))
    return match is not None and check_digit(match.group(2)) == int(match.group(3))
