"""Find a post office: where the person is (a commune, an old or new address, a
Vpostcode, a position) and the service points nearest it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from postgov.lib.vpostcode import VpostcodeError
from postgov.places import nearby, picker, postal_codes
from postgov.places.conversion import convert_old_address
from postgov.places.models import Commune, ServicePoint

# Roughly Vietnam with its islands: a position outside it finds no post office of ours.
VIETNAM_BOX = (7.0, 24.0, 101.5, 118.0)
RESULTS = 5


class NotPlaced(ValueError):
    """What was typed could not be placed; `field` is the form field to mark."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Origin:
    latitude: float
    longitude: float
    # What the text was read as, in the page's language ("" for a position).
    described: str
    commune: Commune | None = None


def _commune_origin(commune: Commune, described: str) -> Origin:
    if commune.latitude is None or commune.longitude is None:
        raise NotPlaced(
            "place",
            _("The position of %(commune)s is not recorded; try a Vpostcode or your location.")
            % {"commune": commune.name},
        )
    return Origin(commune.latitude, commune.longitude, described, commune)


def locate(place: str, vpostcode: str, latitude: float | None, longitude: float | None) -> Origin:
    """Where to look from. A Vpostcode wins over a text, a text over a position (the
    position is filled in only when asked for)."""
    if vpostcode.strip():
        try:
            found = postal_codes.locate_vpostcode(vpostcode)
        except VpostcodeError as exc:
            raise NotPlaced("vpostcode", str(exc)) from exc
        except postal_codes.UnknownPostalArea as exc:
            raise NotPlaced(
                "vpostcode",
                _(
                    "This Vpostcode is of a postal area this site does not know (%(code)s); "
                    "check its first five digits."
                )
                % {"code": vpostcode.strip()[:5]},
            ) from exc
        return Origin(
            found.latitude,
            found.longitude,
            _("Vpostcode %(code)s") % {"code": found.full_code},
            found.postal_code.commune,
        )
    if place.strip():
        communes = [c for c in picker.resolve(place) if c.latitude is not None]
        if communes:
            return _commune_origin(communes[0], picker.label(communes[0]))
        result = convert_old_address(place)
        if result.commune is not None:
            return _commune_origin(
                result.commune,
                _("Old address, now in %(commune)s") % {"commune": picker.label(result.commune)},
            )
        if result.alternatives:
            raise NotPlaced(
                "place",
                _("The commune was not recognised; it may now be one of: %(communes)s.")
                % {"communes": ", ".join(c.name for c in result.alternatives[:6])},
            )
        raise NotPlaced(
            "place",
            _(
                "This commune or address could not be found. Check the spelling, add the "
                "province, or try a Vpostcode."
            ),
        )
    if latitude is None or longitude is None:
        raise NotPlaced(None, _("Type a commune, an address or a Vpostcode, or use your location."))
    south, north, west, east = VIETNAM_BOX
    if not (south <= latitude <= north and west <= longitude <= east):
        raise NotPlaced(None, _("This position is outside Vietnam; no post office is near it."))
    return Origin(latitude, longitude, "")


def results(origin: Origin, now: datetime, limit: int = RESULTS) -> list[nearby.Found]:
    rows = nearby.nearest(
        origin.latitude,
        origin.longitude,
        limit,
        ServicePoint.objects.filter(active=True).select_related("commune__province"),
    )
    received = nearby.procedures_by_province({p.commune.province_id for _d, p in rows})
    found = []
    for distance, point in rows:
        lat, lon = point.latitude or 0.0, point.longitude or 0.0  # nearest() found them by these
        found.append(
            nearby.Found(
                point=point,
                distance_km=distance,
                open_now=nearby.point_open_now(point, now),
                vpostcode=postal_codes.vpostcode_of_point(point),
                osm_url=postal_codes.osm_url(lat, lon),
                geo_uri=nearby.geo_uri(lat, lon),
                procedures=received.get(point.commune.province_id, []),
            )
        )
    return found


def markers(origin: Origin | None, found: list[nearby.Found], point_url) -> list[dict]:
    """What the map draws: the place looked from, the points, their communes' centres."""
    rows: list[dict] = []
    if origin is not None:
        rows.append(
            {
                "lat": origin.latitude,
                "lon": origin.longitude,
                "name": origin.described or _("Your position"),
                "kind": "here",
            }
        )
    communes: dict[int, Commune] = {}
    for item in found:
        point = item.point
        rows.append(point_marker(point, point_url(point)))
        communes.setdefault(point.commune_id, point.commune)
    rows.extend(
        {"lat": c.latitude, "lon": c.longitude, "name": c.name, "kind": "centre"}
        for c in communes.values()
        if c.latitude is not None and c.longitude is not None
    )
    return rows


def point_marker(point: ServicePoint, url: str = "") -> dict:
    return {
        "lat": point.latitude,
        "lon": point.longitude,
        "name": point.name,
        "detail": point.address,
        "url": url,
        "kind": "point",
    }


def point_markers(point: ServicePoint) -> list[dict]:
    """A post office's own map: the office, and its commune's centre as a landmark."""
    rows = [point_marker(point)]
    commune = point.commune
    if commune.latitude is not None and commune.longitude is not None:
        rows.append(
            {
                "lat": commune.latitude,
                "lon": commune.longitude,
                "name": commune.name,
                "kind": "centre",
            }
        )
    return rows
