"""Postal codes as versioned data, and the Vpostcodes built on them.

No post-2025 revision of the national postal codes (Decision 2475/QĐ-BTTTT, 2017) is
published, so codes are imported from CSV files as sets; the latest imported set is the
current one and the older ones stay for reference.

CSV format (UTF-8, comma-separated, header on the first line)::

    code,name,kind,province_code,commune_code,latitude,longitude
    48100,Phường Đông Hà,commune,44,19333,16.802,107.071

- `code`: 5 digits, once per file;
- `kind`: province, commune, service_point, agency or other;
- `province_code`: a current province (2 digits), required;
- `commune_code`: a current commune of that province; required when kind is commune;
- `latitude`/`longitude`: the reference point of the postal area, used to shorten and
  recover Vpostcodes; both or neither; when empty, the centroid of the commune (or of the
  province) is used.

The whole file is checked before anything is written; any problem rejects the file with
line-numbered messages in the active language, and nothing is imported.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

from django.db import transaction
from django.utils.translation import gettext, ngettext

from postgov.audit.actions import record
from postgov.lib import vpostcode
from postgov.places.models import Commune, PostalCode, PostalCodeSet, Province, ServicePoint

COLUMNS = ("code", "name", "kind", "province_code", "commune_code", "latitude", "longitude")
REQUIRED_COLUMNS = frozenset(COLUMNS[:4])
MAX_ROWS = 50_000
MAX_ERRORS_SHOWN = 200
_CODE = re.compile(r"[0-9]{5}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class PostalCodeImportError(ValueError):
    """The file was rejected; `errors` lists every problem found, by line."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = errors[:MAX_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        if more:
            shown.append(
                ngettext("… and %(count)s more error.", "… and %(count)s more errors.", more)
                % {"count": more}
            )
        super().__init__("\n".join(shown))


def _read_text(file: str | Path | IO) -> str:
    if isinstance(file, str | Path):
        raw: bytes | str = Path(file).read_bytes()
    else:
        raw = file.read()
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PostalCodeImportError([gettext("The file must be encoded in UTF-8.")]) from None
    return raw.removeprefix("\ufeff")


def _shown(value: str) -> str:
    """A value quoted in a message, cut short: a message must stay readable."""
    return value if len(value) <= 24 else value[:23] + "…"


def _coordinate(text: str, limit: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) <= limit else None


@dataclass
class _Row:
    line: int
    code: str
    name: str
    kind: str
    province: Province
    commune: Commune | None
    latitude: float | None
    longitude: float | None


def _records(reader: csv.DictReader, errors: list[str]):
    """The reader's records; a broken CSV record (a stray quote) ends the reading with a
    message instead of an exception. The message names the line where that record starts,
    which is where the stray quote is; the reader's own count may be past the end."""
    last_line = reader.line_num
    try:
        for record_ in reader:
            yield record_
            last_line = reader.line_num
    except csv.Error as exc:
        line = last_line + 1
        errors.append(
            gettext("Line %(line)s: invalid CSV (%(error)s).") % {"line": line, "error": exc}
        )


def _validate(text: str) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not header:
        raise PostalCodeImportError([gettext("The file is empty.")])
    missing = REQUIRED_COLUMNS - set(header)
    unknown = set(header) - set(COLUMNS)
    if missing or unknown or len(set(header)) != len(header):
        hint = ""
        if len(header) == 1 and ";" in header[0]:
            hint = " " + gettext("Use commas, not semicolons.")
        raise PostalCodeImportError(
            [
                gettext("Line 1: the header must have the columns %(columns)s.")
                % {"columns": ", ".join(COLUMNS)}
                + hint
            ]
        )
    reader.fieldnames = header

    provinces = {p.code: p for p in Province.objects.all()}
    communes = {c.code: c for c in Commune.objects.all()}
    kinds = set(PostalCode.Kind.values)
    errors: list[str] = []
    rows: list[_Row] = []
    first_line: dict[str, int] = {}

    def error(line: int, message: str) -> None:
        errors.append(gettext("Line %(line)s: %(problem)s") % {"line": line, "problem": message})

    for count, record_ in enumerate(_records(reader, errors), 1):
        line = reader.line_num
        if count > MAX_ROWS:
            error(line, gettext("the file has more than %(rows)s rows.") % {"rows": MAX_ROWS})
            break
        if None in record_:
            error(line, gettext("more columns than the header."))
            continue
        values = {key: (value or "").strip() for key, value in record_.items()}
        if not any(values.values()):
            continue  # a blank line is not a mistake worth rejecting a file for
        problems_before = len(errors)
        if any(_CONTROL.search(value) for value in values.values()):
            # PostgreSQL refuses NUL in text, and no other control character belongs here.
            error(line, gettext("contains a control character."))
            continue

        code = values["code"]
        shown_code = _shown(code)
        if not _CODE.fullmatch(code):
            error(
                line,
                gettext("postal code “%(code)s” must have 5 digits.") % {"code": shown_code},
            )
        elif code in first_line:
            error(
                line,
                gettext("code %(code)s repeats line %(first)s.")
                % {"code": code, "first": first_line[code]},
            )
        else:
            first_line[code] = line

        name = values["name"]
        if not name:
            error(line, gettext("the name is missing."))
        elif len(name) > 200:
            error(line, gettext("the name is longer than 200 characters."))

        kind = values["kind"]
        if kind not in kinds:
            error(
                line,
                gettext("unknown kind “%(kind)s” (use %(kinds)s).")
                % {"kind": _shown(kind), "kinds": ", ".join(sorted(kinds))},
            )

        province = provinces.get(values["province_code"])
        if province is None:
            error(
                line,
                gettext("no province has the code “%(code)s”.")
                % {"code": _shown(values["province_code"])},
            )

        commune = None
        commune_code = values.get("commune_code", "")
        if commune_code:
            commune = communes.get(commune_code)
            if commune is None:
                error(
                    line,
                    gettext("no commune has the code “%(code)s”.") % {"code": _shown(commune_code)},
                )
            elif province is not None and commune.province_id != province.pk:
                error(
                    line,
                    gettext("commune %(commune)s is not in province %(province)s.")
                    % {"commune": commune_code, "province": province.code},
                )
        elif kind == PostalCode.Kind.COMMUNE:
            error(line, gettext("a code of kind commune needs a commune code."))

        lat_text, lon_text = values.get("latitude", ""), values.get("longitude", "")
        latitude = longitude = None
        if lat_text or lon_text:
            latitude, longitude = _coordinate(lat_text, 90), _coordinate(lon_text, 180)
            if latitude is None or longitude is None:
                error(
                    line,
                    gettext("invalid coordinates “%(latitude)s, %(longitude)s”.")
                    % {"latitude": _shown(lat_text), "longitude": _shown(lon_text)},
                )
        if len(errors) == problems_before and province is not None:  # no error: a province
            rows.append(_Row(line, code, name, kind, province, commune, latitude, longitude))
    if not rows and not errors:
        errors.append(gettext("The file has no data rows."))
    if errors:
        raise PostalCodeImportError(errors)
    return rows


def import_postal_codes(
    file: str | Path | IO,
    name: str,
    valid_from: date | str,
    source: str = "",
    is_demo: bool = False,
    *,
    actor=None,
) -> PostalCodeSet:
    """Check the whole CSV `file` (a path, or a text or binary file object), then store
    it as a new set of postal codes and make that set the current one."""
    if isinstance(valid_from, str):
        try:
            valid_from = date.fromisoformat(valid_from)
        except ValueError:
            raise PostalCodeImportError(
                [
                    gettext("The valid-from date “%(date)s” must be YYYY-MM-DD.")
                    % {"date": valid_from}
                ]
            ) from None
    name = (name or "").strip()
    if not name:
        raise PostalCodeImportError([gettext("The set needs a name.")])
    rows = _validate(_read_text(file))

    with transaction.atomic():
        code_set = PostalCodeSet.objects.create(
            name=name[:200], valid_from=valid_from, source=source[:300], is_demo=is_demo
        )
        PostalCode.objects.bulk_create(
            [
                PostalCode(
                    code_set=code_set,
                    code=row.code,
                    name=row.name,
                    kind=row.kind,
                    province=row.province,
                    commune=row.commune,
                    latitude=row.latitude if row.latitude is not None else _centroid(row)[0],
                    longitude=row.longitude if row.longitude is not None else _centroid(row)[1],
                )
                for row in rows
            ],
            batch_size=2000,
        )
        make_current(code_set)
        record(
            "places.postal_codes_imported",
            actor=actor,
            obj=code_set,
            details={
                "name": code_set.name,
                "valid_from": valid_from,
                "codes": len(rows),
                "is_demo": is_demo,
            },
        )
    return code_set


def _centroid(row: _Row) -> tuple[float | None, float | None]:
    unit = row.commune or row.province
    return unit.latitude, unit.longitude


@transaction.atomic
def make_current(code_set: PostalCodeSet) -> None:
    # Clear the old flag first: at most one set may be current (a unique constraint).
    PostalCodeSet.objects.filter(is_current=True).exclude(pk=code_set.pk).update(is_current=False)
    if not code_set.is_current:
        code_set.is_current = True
        code_set.save(update_fields=["is_current"])


# -- lookups ---------------------------------------------------------------------------


def current_set() -> PostalCodeSet | None:
    return PostalCodeSet.objects.filter(is_current=True).first()


def current_codes():
    return PostalCode.objects.filter(code_set__is_current=True).select_related(
        "province", "commune", "code_set"
    )


def lookup(code: str) -> PostalCode | None:
    """The postal code `code` in the current set, or None."""
    code = (code or "").strip()
    if not _CODE.fullmatch(code):
        return None
    return current_codes().filter(code=code).first()


def postal_code_of_commune(commune: Commune) -> str:
    """The commune's own postal code in the current set, or "" when it has none."""
    code = (
        current_codes()
        .filter(commune=commune, kind=PostalCode.Kind.COMMUNE)
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )
    return code or ""


def reference_point(postal_code: PostalCode) -> tuple[float, float] | None:
    if postal_code.latitude is None or postal_code.longitude is None:
        return None
    return postal_code.latitude, postal_code.longitude


def vpostcode_of_point(point: ServicePoint) -> str:
    """The Vpostcode of a service point, or "" when its postal code or coordinates are
    unknown (or too far from the postal area's reference point)."""
    if point.latitude is None or point.longitude is None or not point.postal_code:
        return ""
    postal_code = lookup(point.postal_code)
    if postal_code is None or (reference := reference_point(postal_code)) is None:
        return ""
    try:
        return vpostcode.encode(point.latitude, point.longitude, postal_code.code, reference)
    except vpostcode.VpostcodeError:
        return ""


class UnknownPostalArea(LookupError):
    """The Vpostcode is well formed but its postal code is not in the current set."""


@dataclass(frozen=True)
class VpostcodePlace:
    vpostcode: vpostcode.Vpostcode
    postal_code: PostalCode
    latitude: float
    longitude: float
    full_code: str


def locate_vpostcode(text: str) -> VpostcodePlace:
    """Where a Vpostcode points to. Raises VpostcodeError for malformed text and
    UnknownPostalArea when its postal code is not in the current set."""
    parsed = vpostcode.parse(text)
    postal_code = lookup(parsed.postal_code)
    if postal_code is None or (reference := reference_point(postal_code)) is None:
        raise UnknownPostalArea(
            gettext("Postal code %(code)s is not in the current set.")
            % {"code": parsed.postal_code}
        )
    latitude, longitude = vpostcode.decode(str(parsed), reference)
    return VpostcodePlace(
        vpostcode=parsed,
        postal_code=postal_code,
        latitude=latitude,
        longitude=longitude,
        full_code=vpostcode.full_code(str(parsed), reference),
    )


def osm_url(latitude: float, longitude: float, zoom: int = 17) -> str:
    """A plain link to the place on openstreetmap.org (followed by the user, never fetched)."""
    return (
        f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}"
        f"#map={zoom}/{latitude:.6f}/{longitude:.6f}"
    )
