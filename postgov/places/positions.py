"""Where an address is: a position (latitude, longitude), how it was set, and its Vpostcode.

An address carries a position set one of three ways, trusted in this order:

- `door`: the postman's phone at the door, confirmed by the postman;
- `pin`: a pin put on a map at the counter, or the last confirmed position of the same
  citizen's same address, accepted by the clerk;
- `commune`: the commune's centre, when nothing better is known: approximate.

A position far from the address's commune (`MAX_KM_FROM_COMMUNE` from its centre) is
refused: it is a slip of the finger or a phone that has not found itself yet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from postgov.lib import vpostcode
from postgov.places.models import Commune
from postgov.places.nearby import haversine_km
from postgov.places.postal_codes import lookup, postal_code_of_commune, reference_point

MAX_KM_FROM_COMMUNE = 30.0


class Source(models.TextChoices):
    PIN = "pin", gettext_lazy("pinned on the map")
    COMMUNE = "commune", gettext_lazy("commune centre (approximate)")
    DOOR = "door", gettext_lazy("confirmed at the door")


# The sources a person confirmed; only these are proposed again.
CONFIRMED = (Source.PIN, Source.DOOR)


class PositionError(ValueError):
    """The position cannot be used for the address; the message is for the person."""


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    source: str
    vpostcode: str = ""

    @property
    def approximate(self) -> bool:
        return self.source == Source.COMMUNE


def _finite(value: float | None, limit: float) -> bool:
    return value is not None and math.isfinite(value) and abs(value) <= limit


def vpostcode_at(latitude: float, longitude: float, commune: Commune) -> str:
    """The Vpostcode of a place in `commune`, or "" when the commune has no postal code
    with a reference point, or the place is too far from it."""
    code = postal_code_of_commune(commune)
    postal_code = lookup(code) if code else None
    if postal_code is None or (reference := reference_point(postal_code)) is None:
        return ""
    try:
        return vpostcode.encode(latitude, longitude, postal_code.code, reference)
    except vpostcode.VpostcodeError:
        return ""


def commune_centre(commune: Commune | None) -> Position | None:
    if commune is None or commune.latitude is None or commune.longitude is None:
        return None
    return Position(
        commune.latitude,
        commune.longitude,
        Source.COMMUNE,
        vpostcode_at(commune.latitude, commune.longitude, commune),
    )


def checked(
    latitude: float | None, longitude: float | None, commune: Commune | None, source: str
) -> Position:
    """The position, its Vpostcode computed, once it is a real place near the commune.
    Raises PositionError with a message in the active language."""
    if not (_finite(latitude, 90) and _finite(longitude, 180)):
        raise PositionError(_("The position is not a valid latitude and longitude."))
    assert latitude is not None and longitude is not None
    if commune is None:
        raise PositionError(_("Choose the commune before placing the address."))
    if commune.latitude is not None and commune.longitude is not None:
        distance = haversine_km(latitude, longitude, commune.latitude, commune.longitude)
        if distance > MAX_KM_FROM_COMMUNE:
            raise PositionError(
                _(
                    "The position is %(km)d km from the centre of %(commune)s; an address "
                    "there must be within %(limit)d km. Move the pin onto the address."
                )
                % {
                    "km": round(distance),
                    "commune": commune.name,
                    "limit": MAX_KM_FROM_COMMUNE,
                }
            )
    return Position(latitude, longitude, source, vpostcode_at(latitude, longitude, commune))


def resolve(
    latitude: float | None, longitude: float | None, commune: Commune | None, source: str
) -> Position | None:
    """The position given, checked; or the commune's centre when none is given."""
    if latitude is None and longitude is None:
        return commune_centre(commune)
    return checked(latitude, longitude, commune, source)


def same_address(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())
