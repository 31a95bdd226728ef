"""Vpostcode: the 5-digit postal code of an area plus a short Open Location Code.

Format. A Vpostcode has exactly 12 characters and no separator: ``PPPPPLLLLLLL``.

- ``PPPPP`` is the national postal code of the area (5 digits);
- ``LLLLLLL`` is the 11-digit Open Location Code (OLC) of the place with its first four
  characters dropped and its ``+`` removed. For Đông Hà, the full code ``7P89R482+G4F``
  becomes ``R482G4F``; with postal code 48100 the Vpostcode is ``48100R482G4F``.

The 11-digit OLC is a cell of about 2.8 m × 3.3 m at Vietnam's latitudes (the "3 m grid").
The four dropped characters name a 1° × 1° block; they are recovered from the postal
area's reference point with OLC's own ``recoverNearest``, which picks the block whose
centre is within half a degree of the reference. We always drop exactly four characters
(``olc.shorten`` may drop six or eight next to the reference) so that every Vpostcode has
the same length, and `encode` refuses places more than `MAX_OFFSET_DEGREES` from the
reference so that a place near the edge cannot be recovered into the neighbouring block.

For people the code is written ``48100 R482+G4F`` (`pretty`); `decode` and `parse` accept
that form too, in any case, with spaces or hyphens.

Errors are `VpostcodeError` (a ValueError), its message in the active language.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from openlocationcode import openlocationcode as olc

LENGTH = 12
POSTAL_CODE_LENGTH = 5
LOCATION_LENGTH = 7
OLC_CODE_LENGTH = 11
DROPPED = 4
# Half a degree is where recoverNearest would flip to the next block; keep a margin.
MAX_OFFSET_DEGREES = 0.45

_ALPHABET = olc.CODE_ALPHABET_
_CANONICAL = re.compile(rf"^([0-9]{{5}})([{_ALPHABET}]{{7}})$")
_NOISE = re.compile(r"[\s\-]+")


class VpostcodeError(ValueError):
    """The text is not a Vpostcode, or a place/reference point cannot make one."""


@dataclass(frozen=True)
class Vpostcode:
    postal_code: str
    location: str  # the 7 significant OLC characters, without '+'

    def __str__(self) -> str:
        return self.postal_code + self.location

    @property
    def short_code(self) -> str:
        """The location as an OLC short code: 'R482+G4F'."""
        return f"{self.location[:4]}{olc.SEPARATOR_}{self.location[4:]}"

    @property
    def pretty(self) -> str:
        return f"{self.postal_code} {self.short_code}"


def parse(text: str) -> Vpostcode:
    """Read a Vpostcode as people write it: '48100R482G4F', '48100 R482+G4F', '48100-r482g4f'."""
    if not isinstance(text, str):
        raise VpostcodeError(_("A Vpostcode must be text."))
    compact = _NOISE.sub("", text).upper()
    plus = POSTAL_CODE_LENGTH + 4
    if compact.count("+") == 1 and compact.find("+") == plus:
        compact = compact[:plus] + compact[plus + 1 :]
    match = _CANONICAL.match(compact)
    if not match:
        raise VpostcodeError(
            _(
                "A Vpostcode has 12 characters: the 5-digit postal code and 7 location "
                "characters (only %(alphabet)s), e.g. 48100R482G4F."
            )
            % {"alphabet": _ALPHABET}
        )
    return Vpostcode(postal_code=match.group(1), location=match.group(2))


def pretty(vpostcode: str) -> str:
    return parse(vpostcode).pretty


def _coordinate(value: Any, limit: float, message: str) -> float:
    """`value` as a number within ±`limit`; else `message` (with %(value)s) is raised."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or abs(number) > limit:
        raise VpostcodeError(message % {"value": repr(value)})
    return number


def _place(lat: Any, lon: Any) -> tuple[float, float]:
    return (
        _coordinate(lat, 90, _("Invalid latitude (place): %(value)s.")),
        _coordinate(lon, 180, _("Invalid longitude (place): %(value)s.")),
    )


def _reference(lat: Any, lon: Any) -> tuple[float, float]:
    return (
        _coordinate(lat, 90, _("Invalid latitude (reference point): %(value)s.")),
        _coordinate(lon, 180, _("Invalid longitude (reference point): %(value)s.")),
    )


def encode(
    latitude: float, longitude: float, postal_code: str, reference_point: tuple[float, float]
) -> str:
    """The 12-character Vpostcode of a place in the postal area whose reference point is
    `reference_point` (latitude, longitude)."""
    lat, lon = _place(latitude, longitude)
    ref_lat, ref_lon = _reference(*_pair(reference_point))
    if not (isinstance(postal_code, str) and re.fullmatch(r"[0-9]{5}", postal_code)):
        raise VpostcodeError(
            _("A postal code has 5 digits: %(code)s.") % {"code": repr(postal_code)}
        )
    if max(abs(lat - ref_lat), abs(lon - ref_lon)) > MAX_OFFSET_DEGREES:
        raise VpostcodeError(
            _(
                "The place is too far from the reference point of the postal area "
                "(at most %(degrees)s°)."
            )
            % {"degrees": MAX_OFFSET_DEGREES}
        )
    full: str = olc.encode(lat, lon, OLC_CODE_LENGTH)
    location = full[DROPPED:].replace(olc.SEPARATOR_, "")
    return postal_code + location


def decode(vpostcode: str, reference_point: tuple[float, float]) -> tuple[float, float]:
    """(latitude, longitude) of the centre of the 3 m cell named by `vpostcode`, recovered
    with the reference point of its postal area."""
    code = parse(vpostcode)
    ref_lat, ref_lon = _reference(*_pair(reference_point))
    full = olc.recoverNearest(code.short_code, ref_lat, ref_lon)
    area = olc.decode(full)
    return round(area.latitudeCenter, 7), round(area.longitudeCenter, 7)


def full_code(vpostcode: str, reference_point: tuple[float, float]) -> str:
    """The full 11-digit Open Location Code ('7P89R482+G4F') of a Vpostcode."""
    code = parse(vpostcode)
    ref_lat, ref_lon = _reference(*_pair(reference_point))
    full: str = olc.recoverNearest(code.short_code, ref_lat, ref_lon)
    return full


def _pair(reference_point: Any) -> tuple[Any, Any]:
    try:
        lat, lon = reference_point
    except (TypeError, ValueError):
        raise VpostcodeError(_("The reference point must be (latitude, longitude).")) from None
    return lat, lon
