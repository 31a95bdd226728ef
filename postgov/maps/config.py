"""The base map, as the settings give it: an XYZ tile URL template, a local PMTiles
archive served by this site, or nothing (points on a plain background)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

# A PMTiles v3 archive starts with these seven bytes and its version (3).
PMTILES_MAGIC = b"PMTiles"
PMTILES_HEADER_LENGTH = 127


@dataclass(frozen=True)
class BaseMap:
    kind: str  # "tiles", "pmtiles" or "" (none configured)
    tile_url: str = ""
    attribution: str = ""
    max_zoom: int = 18
    # Set when an archive is configured but cannot be served: the map says so.
    broken: bool = False


def archive_path() -> Path | None:
    value = getattr(settings, "MAP_PMTILES_PATH", "")
    return Path(value) if value else None


def archive_is_readable(path: Path) -> bool:
    """Whether `path` is a file that starts like a PMTiles v3 archive."""
    try:
        with path.open("rb") as file:
            header = file.read(PMTILES_HEADER_LENGTH)
    except OSError:
        return False
    return len(header) == PMTILES_HEADER_LENGTH and header[:7] == PMTILES_MAGIC and header[7] == 3


def base_map() -> BaseMap:
    attribution = settings.MAP_ATTRIBUTION
    max_zoom = settings.MAP_MAX_ZOOM
    if path := archive_path():
        if not archive_is_readable(path):
            # The path only: it is an operator's setting, not personal data.
            logger.warning("base map archive missing or not a PMTiles v3 file: %s", path)
            return BaseMap("pmtiles", attribution=attribution, max_zoom=max_zoom, broken=True)
        return BaseMap("pmtiles", attribution=attribution, max_zoom=max_zoom)
    if settings.MAP_TILE_URL:
        return BaseMap(
            "tiles", tile_url=settings.MAP_TILE_URL, attribution=attribution, max_zoom=max_zoom
        )
    return BaseMap("")
