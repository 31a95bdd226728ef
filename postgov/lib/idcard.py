"""Vietnamese citizen ID numbers (CCCD) and the QR code printed on chip ID cards.

CCCD: 12 digits `PPP G YY NNNNNN` — PPP the birth-registration province (001–096),
G century and gender (1900s: 0 male / 1 female; 2000s: 2/3; 2100s: 4/5; 2200s: 6/7;
1800s: 8/9 is not issued), YY the last two digits of the birth year, then 6 digits.
There is no checksum: we validate the province code and G/YY against the date of birth.

QR: `CCCD|old CMND|Full name|DDMMYYYY|Nam/Nữ|Permanent address|DDMMYYYY issue date`, the
newer "thẻ căn cước" (from 1 July 2024) adds fields. Parsed by position; extra fields are
kept but ignored; anything malformed raises `IdCardError` with a message in the active
language and nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Province codes of the 63 pre-2025 provinces as used in CCCD numbers (Circular
# 07/2016/TT-BCA, Annex): they stay valid on cards issued before and after the reform.
CCCD_PROVINCES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu",
    "079": "Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}


class Gender(models.TextChoices):
    """Gender as the ID card prints it (Nam/Nữ) and the ID number encodes it (the century
    digit is even for men, odd for women): accounts and dossiers store these values."""

    MALE = "male", gettext_lazy("Male")
    FEMALE = "female", gettext_lazy("Female")


_CENTURY_BASE = {0: 1900, 2: 2000, 4: 2100, 6: 2200}


class IdCardError(ValueError):
    """A bad ID number or QR string; the message is in the active language."""


def cccd_century_digit(birth_date: date, gender: str) -> int:
    century = (birth_date.year // 100) * 100
    base = {v: k for k, v in _CENTURY_BASE.items()}.get(century)
    if base is None:
        raise IdCardError(_("Birth year out of range for an ID number."))
    return base + (1 if gender == Gender.FEMALE else 0)


def validate_cccd(number: str, birth_date: date | None = None, gender: str | None = None) -> str:
    """Return the normalised 12-digit number or raise IdCardError saying what is wrong."""
    digits = re.sub(r"[\s.-]", "", number or "")
    if not re.fullmatch(r"\d{12}", digits):
        raise IdCardError(_("The personal ID number must be exactly 12 digits."))
    if digits[:3] not in CCCD_PROVINCES:
        raise IdCardError(
            _("Province code %(code)s in the ID number does not exist.") % {"code": digits[:3]}
        )
    g = int(digits[3])
    if g in (8, 9):
        raise IdCardError(_("Invalid century/gender digit."))
    if birth_date is not None:
        year_digits = f"{birth_date.year % 100:02d}"
        if digits[4:6] != year_digits:
            raise IdCardError(
                _(
                    "The birth year in the ID number (%(digits)s) does not match the date "
                    "of birth %(date)s."
                )
                % {"digits": digits[4:6], "date": f"{birth_date:%d/%m/%Y}"}
            )
        base = _CENTURY_BASE.get(g - g % 2)
        if base != (birth_date.year // 100) * 100:
            raise IdCardError(
                _("The century digit in the ID number does not match the year of birth.")
            )
        if gender is not None and (g % 2 == 1) != (gender == Gender.FEMALE):
            raise IdCardError(_("The gender does not match the ID number."))
    return digits


@dataclass(frozen=True)
class IdCardData:
    id_number: str
    old_id_number: str
    full_name: str
    birth_date: date
    gender: Gender
    address: str
    issue_date: date | None
    extra: tuple[str, ...] = field(default=())


def _date(value: str, what: str) -> date:
    if not re.fullmatch(r"\d{8}", value):
        raise IdCardError(_("%(what)s is not DDMMYYYY.") % {"what": what})
    try:
        return date(int(value[4:]), int(value[2:4]), int(value[:2]))
    except ValueError as exc:
        raise IdCardError(_("%(what)s is not a real date.") % {"what": what}) from exc


def _gender(value: str) -> Gender:
    folded = unicodedata.normalize("NFC", value).strip().lower()
    if folded in {"nam", "male", "m"}:
        return Gender.MALE
    if folded in {"nữ", "nu", "female", "f"}:
        return Gender.FEMALE
    raise IdCardError(_("Unknown gender “%(value)s”.") % {"value": value[:10]})


def parse_qr(raw: str) -> IdCardData:
    """Parse the string a 2D scanner types from the ID card's QR code."""
    if not isinstance(raw, str):
        raise IdCardError(_("Invalid QR data."))
    text = unicodedata.normalize("NFC", raw).strip().strip("\x00")
    if len(text) > 2000:
        raise IdCardError(_("The QR data is too long."))
    parts = [p.strip() for p in text.split("|")]
    if len(parts) < 7:
        raise IdCardError(_("This is not an ID-card QR code (fields missing)."))
    number, old, name, birth, gender_text, address, issued = parts[:7]
    if not name:
        raise IdCardError(_("The QR code has no name."))
    birth_date = _date(birth, _("Date of birth"))
    gender = _gender(gender_text)
    id_number = validate_cccd(number, birth_date, gender)
    issue_date = _date(issued, _("Issue date")) if issued else None
    return IdCardData(
        id_number=id_number,
        old_id_number=old if re.fullmatch(r"\d{9}|\d{12}", old) else "",
        full_name=" ".join(name.split()),
        birth_date=birth_date,
        gender=gender,
        address=" ".join(address.split()),
        issue_date=issue_date,
        extra=tuple(parts[7:]),
    )
