"""A real raster PMTiles archive as the base map, in Chromium: a post office's page asks the
site for byte ranges of the archive and Leaflet draws the tiles it cut from them.

The archive is written here (PMTiles v3: header, root directory, one PNG shared by every
tile around the post office at every zoom), so the test needs no tool and no download."""

from __future__ import annotations

import io
import math
import struct

import pytest
from PIL import Image
from playwright.sync_api import expect

from postgov.places.models import ServicePoint
from tests.browser_tests.test_intake_journey import shot

pytestmark = pytest.mark.browser

POINT = (16.81, 107.10)
AROUND = 3  # tiles each side of the post office's tile, at each zoom
MAX_ZOOM = 18


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def tile_id(z: int, x: int, y: int) -> int:
    """The archive's tile number: the tiles of lower zooms, then the Hilbert curve (the
    reader's own steps, so both sides agree)."""
    if z == 0:
        return 0
    number = ((1 << z) * (1 << z) - 1) // 3
    level, a, b = z - 1, x, y
    step = 1 << level
    while step > 0:
        rx, ry = a & step, b & step
        number += ((3 * rx) ^ ry) * (1 << level)
        if ry == 0:
            a, b = (step - 1 - b, step - 1 - a) if rx else (b, a)
        step >>= 1
        level -= 1
    return number


def tile_of(lat: float, lon: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (176, 214, 160)).save(out, format="PNG")
    return out.getvalue()


def archive() -> bytes:
    tile = png()
    ids = set()
    for z in range(MAX_ZOOM + 1):
        cx, cy = tile_of(*POINT, z)
        n = 1 << z
        for x in range(max(0, cx - AROUND), min(n, cx + AROUND + 1)):
            for y in range(max(0, cy - AROUND), min(n, cy + AROUND + 1)):
                ids.add(tile_id(z, x, y))
    ordered = sorted(ids)
    directory = bytearray(varint(len(ordered)))
    previous = 0
    for number in ordered:
        directory += varint(number - previous)
        previous = number
    directory += b"".join(varint(1) for _ in ordered)  # run lengths
    directory += b"".join(varint(len(tile)) for _ in ordered)  # lengths
    # Every entry points at the one tile: offset 0, written as 0 + 1.
    directory += b"".join(varint(1) for _ in ordered)
    metadata = b"{}"
    root_offset = 127
    metadata_offset = root_offset + len(directory)
    data_offset = metadata_offset + len(metadata)
    e7 = 10_000_000
    header = b"PMTiles" + struct.pack(
        "<BQQQQQQQQQQQBBBBBBiiiiBii",
        3,
        root_offset,
        len(directory),
        metadata_offset,
        len(metadata),
        0,
        0,
        data_offset,
        len(tile),
        len(ordered),
        len(ordered),
        1,
        1,  # clustered
        1,  # internal compression: none
        1,  # tile compression: none
        2,  # PNG
        0,
        MAX_ZOOM,
        int(106.0 * e7),
        int(16.0 * e7),
        int(108.0 * e7),
        int(17.5 * e7),
        12,
        int(POINT[1] * e7),
        int(POINT[0] * e7),
    )
    assert len(header) == 127
    return header + bytes(directory) + metadata + tile


def test_a_post_offices_page_draws_tiles_cut_from_the_archive(page, world, settings, tmp_path):
    path = tmp_path / "basemap.pmtiles"
    path.write_bytes(archive())
    settings.MAP_TILE_URL = ""
    settings.MAP_PMTILES_PATH = str(path)
    # The Content-Security-Policy lets the reader hand tiles to <img> as blob: URLs, as
    # settings.py does when the archive is set in the environment.
    policy = {**settings.CONTENT_SECURITY_POLICY}
    policy["DIRECTIVES"] = {**policy["DIRECTIVES"]}
    policy["DIRECTIVES"]["img-src"] = [*policy["DIRECTIVES"]["img-src"], "blob:"]
    settings.CONTENT_SECURITY_POLICY = policy
    ServicePoint.objects.filter(pk=world.point_a.pk).update(latitude=POINT[0], longitude=POINT[1])
    ranges = []
    page.on(
        "response",
        lambda r: (
            r.url.endswith("/maps/basemap.pmtiles")
            and ranges.append((r.status, r.request.headers.get("range", "")))
        ),
    )
    page.goto(f"/places/points/{world.point_a.code}/")
    expect(page.get_by_test_id("map")).to_have_attribute("data-map-ready", "")
    # Tiles arrive one by one; wait until at least four are drawn from the archive.
    page.wait_for_function(
        """() => [...document.querySelectorAll(
            '.leaflet-tile-container img.leaflet-tile-loaded')]
            .filter(i => i.src.startsWith('blob:') && i.naturalWidth === 256).length >= 4"""
    )
    assert ranges and all(status == 206 and value.startswith("bytes=") for status, value in ranges)
    # The header and root directory first, then the tile.
    assert ranges[0][1] == "bytes=0-16383"
    assert not page.locator("[data-map-error]:not(.d-none)").count()
    shot(page, "basemap-pmtiles")
