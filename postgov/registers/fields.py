"""A schema's fields, as data, and the one set of rules that checks what operators key: the
keying page asks the server field by field as the operator types, and saving a record runs
the same functions over every field.

A field is a dict: `key`, `label` and `help` ({"vi": ..., "en": ...}), `type` (one of
TYPES), `required`, and by type `min`/`max` (numbers, years), `pattern` (text),
`precision` (dates: the partial forms allowed, "year", "month", "day"), `choices`
(enumerations: [{"value", "label"}]) and, for an ID number, `birth_date` and `gender`:
the keys of the fields it is checked against. Values are kept as normalised text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django import forms
from django.utils.translation import gettext as _

from postgov.identity.forms import normalise_phone
from postgov.lib.idcard import IdCardError, validate_cccd
from postgov.lib.text import fold
from postgov.places import picker
from postgov.places.conversion import convert_old_address
from postgov.places.models import Commune, CommuneSuccession
from postgov.registers.models import localised

TYPES = ("text", "date", "id_number", "si_code", "phone", "commune", "choice", "number")
PRECISIONS = ("year", "month", "day")
MAX_LENGTH = 500


class SchemaError(ValueError):
    """A schema that cannot be used; the message says why, in the active language."""


@dataclass(frozen=True)
class Checked:
    value: str  # normalised, or what was typed when it is wrong
    error: str = ""


def check_schema(fields) -> list[dict]:
    """The fields if they make a usable schema, else SchemaError."""
    if not isinstance(fields, list) or not fields:
        raise SchemaError(_("A schema is a non-empty list of fields."))
    keys = set()
    for position, field in enumerate(fields, start=1):
        if not isinstance(field, dict):
            raise SchemaError(_("Field %(n)s is not an object.") % {"n": position})
        key = field.get("key")
        if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,49}", key):
            raise SchemaError(
                _("Field %(n)s needs a key of small letters, digits and _.") % {"n": position}
            )
        if key in keys:
            raise SchemaError(_("The key %(key)s is used twice.") % {"key": key})
        keys.add(key)
        if field.get("type") not in TYPES:
            raise SchemaError(
                _("Field %(key)s has an unknown type; use one of: %(types)s.")
                % {"key": key, "types": ", ".join(TYPES)}
            )
        label = field.get("label")
        if not isinstance(label, dict) or not label.get("vi") or not label.get("en"):
            raise SchemaError(
                _("Field %(key)s needs a label in Vietnamese and English.") % {"key": key}
            )
        if field["type"] == "choice" and not field.get("choices"):
            raise SchemaError(_("Field %(key)s lists no choices.") % {"key": key})
        if field["type"] == "date" and not set(field.get("precision", PRECISIONS)) <= set(
            PRECISIONS
        ):
            raise SchemaError(_("Field %(key)s has an unknown date precision.") % {"key": key})
        if "pattern" in field:
            try:
                re.compile(field["pattern"])
            except (re.error, TypeError) as exc:
                raise SchemaError(_("Field %(key)s has a bad pattern.") % {"key": key}) from exc
    for field in fields:
        for other in ("birth_date", "gender"):
            if field.get(other) and field[other] not in keys:
                raise SchemaError(
                    _("Field %(key)s refers to a missing field %(other)s.")
                    % {"key": field["key"], "other": field[other]}
                )
    return fields


def parse_partial_date(text: str, precision=PRECISIONS) -> tuple[str, date]:
    """'1985', '3/1985' or '7/3/1985' (also with '-' or '.') as ('1985', ...), ('03/1985',
    ...), ('07/03/1985', ...) and the first day it can mean; ValueError if not a date."""
    parts = [p for p in re.split(r"[/.\-\s]+", text.strip()) if p]
    if not parts or not all(p.isdigit() for p in parts) or len(parts) > 3:
        raise ValueError
    kind = PRECISIONS[len(parts) - 1]
    if kind not in precision:
        raise ValueError
    numbers = [int(p) for p in parts]
    year = numbers[-1]
    if len(parts[-1]) != 4:
        raise ValueError
    day, month = (
        (numbers[0], numbers[1])
        if len(numbers) == 3
        else (1, numbers[0] if len(numbers) == 2 else 1)
    )
    first = date(year, month, day)  # ValueError for 31/02
    if kind == "year":
        return f"{year:04d}", first
    if kind == "month":
        return f"{month:02d}/{year:04d}", first
    return f"{day:02d}/{month:02d}/{year:04d}", first


def _precision_hint(precision) -> str:
    forms_ = {"year": "yyyy", "month": "mm/yyyy", "day": "dd/mm/yyyy"}
    return ", ".join(forms_[p] for p in PRECISIONS if p in precision)


def find_commune(text: str, province_id: int | None = None) -> Commune | None:
    """The current commune a typed name means: a current name, an old (pre-2025) commune's
    name within the project's province, or an old address the converter reads."""
    communes = picker.resolve(text)
    if province_id is not None:
        communes = [c for c in communes if c.province_id == province_id] or communes
    if len(communes) == 1:
        return communes[0]
    name = fold(text.partition(",")[0])
    successions = CommuneSuccession.objects.select_related("commune").filter(is_default=True)
    if province_id is not None:
        successions = successions.filter(commune__province_id=province_id)
    found = {
        s.commune.pk: s.commune
        for s in successions.filter(legacy_commune__isnull=False).select_related("legacy_commune")
        if s.legacy_commune is not None
        and fold(s.legacy_commune.name) in {name, *(kind + name for kind in picker.KINDS)}
    }
    if len(found) == 1:
        return next(iter(found.values()))
    if found:
        return None
    converted = convert_old_address(text)
    return converted.commune


def check_value(
    field: dict, raw, values: dict | None = None, province_id: int | None = None
) -> Checked:
    """Check one value of `field`; `values` are the record's other values (for the checks
    across fields)."""
    text = " ".join(str(raw if raw is not None else "").replace("\x00", " ").split())
    if len(text) > MAX_LENGTH:
        return Checked(text[:MAX_LENGTH], _("At most %(n)s characters.") % {"n": MAX_LENGTH})
    if not text:
        if field.get("required"):
            return Checked("", _("This field is required."))
        return Checked("")
    kind = field["type"]
    try:
        value = _check_typed(kind, field, text, values or {}, province_id)
    except forms.ValidationError as exc:
        return Checked(text, " ".join(str(m) for m in exc.messages))
    except (ValueError, IdCardError) as exc:
        return Checked(text, str(exc))
    return Checked(value)


def _check_typed(kind: str, field: dict, text: str, values: dict, province_id) -> str:
    if kind == "text":
        pattern = field.get("pattern")
        if pattern and not re.fullmatch(pattern, text):
            raise ValueError(_("This does not have the expected form."))
        return text
    if kind == "number":
        if not re.fullmatch(r"-?\d+", text):
            raise ValueError(_("Enter a whole number."))
        number = int(text)
        _check_range(field, number)
        return str(number)
    if kind == "date":
        precision = field.get("precision", PRECISIONS)
        try:
            value, first = parse_partial_date(text, precision)
        except ValueError:
            raise ValueError(
                _("Enter a date as %(forms)s.") % {"forms": _precision_hint(precision)}
            ) from None
        _check_range(field, first.year)
        return value
    if kind == "id_number":
        birth, gender = _related_birth_and_gender(field, values)
        return validate_cccd(text, birth, gender)
    if kind == "si_code":
        digits = re.sub(r"[\s.-]", "", text)
        if not re.fullmatch(r"\d{10}", digits):
            raise ValueError(_("The social-insurance code must be exactly 10 digits."))
        return digits
    if kind == "phone":
        return normalise_phone(text)
    if kind == "commune":
        commune = find_commune(text, province_id)
        if commune is None:
            raise ValueError(_("No single commune has this name; add the province."))
        return commune.code
    if kind == "choice":
        wanted = fold(text)
        for choice in field["choices"]:
            names = {fold(str(choice["value"]))}
            label = choice.get("label", {})
            names |= {
                fold(str(v)) for v in (label.values() if isinstance(label, dict) else [label])
            }
            if wanted in names:
                return str(choice["value"])
        raise ValueError(_("Pick one of the listed values."))
    raise ValueError(_("Unknown field type."))


def _check_range(field: dict, number: int) -> None:
    low, high = field.get("min"), field.get("max")
    if low is not None and number < low:
        raise ValueError(_("At least %(n)s.") % {"n": low})
    if high is not None and number > high:
        raise ValueError(_("At most %(n)s.") % {"n": high})


def _related_birth_and_gender(field: dict, values: dict) -> tuple[date | None, str | None]:
    birth = gender = None
    if field.get("birth_date") and values.get(field["birth_date"]):
        try:
            birth = parse_partial_date(str(values[field["birth_date"]]))[1]
        except ValueError:
            birth = None
    if field.get("gender") and values.get(field["gender"]) in ("male", "female"):
        gender = values[field["gender"]]
    return birth, gender


def check_record(
    fields: list[dict], values: dict, province_id: int | None = None
) -> tuple[dict, dict]:
    """(clean values, errors by key) of a whole record."""
    clean, errors = {}, {}
    for field in fields:
        checked = check_value(field, values.get(field["key"], ""), values, province_id)
        clean[field["key"]] = checked.value
        if checked.error:
            errors[field["key"]] = checked.error
    return clean, errors


def shown(field: dict, value: str) -> str:
    """A stored value as people read it (a commune's name rather than its code)."""
    if not value:
        return ""
    if field["type"] == "commune":
        commune = Commune.objects.select_related("province").filter(code=value).first()
        return picker.label(commune) if commune else value
    if field["type"] == "choice":
        for choice in field["choices"]:
            if str(choice["value"]) == value:
                return localised(choice.get("label", value))
    return value
