"""The base-map archive served by byte ranges, and the map's base map from the settings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.template import Context, Template
from django.test import RequestFactory

ARCHIVE = "/maps/basemap.pmtiles"
# A PMTiles v3 header (127 bytes) followed by numbered bytes to read back.
HEADER = b"PMTiles\x03" + bytes(119)
BODY = bytes(range(256)) * 8


@pytest.fixture
def archive(tmp_path, settings):
    path = tmp_path / "vietnam.pmtiles"
    path.write_bytes(HEADER + BODY)
    settings.MAP_PMTILES_PATH = str(path)
    return path.read_bytes()


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_range_gets_206_and_those_bytes(client, archive):
    response = client.get(ARCHIVE, HTTP_RANGE="bytes=0-126")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-126/{len(archive)}"
    assert response["Content-Length"] == "127"
    assert _body(response) == archive[:127]
    middle = client.get(ARCHIVE, HTTP_RANGE="bytes=1000-1999")
    assert _body(middle) == archive[1000:2000]


def test_open_and_suffix_ranges(client, archive):
    tail = client.get(ARCHIVE, HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and _body(tail) == archive[-10:]
    rest = client.get(ARCHIVE, HTTP_RANGE=f"bytes={len(archive) - 5}-")
    assert rest.status_code == 206 and _body(rest) == archive[-5:]
    # A range running past the end is cut at the end.
    past = client.get(ARCHIVE, HTTP_RANGE=f"bytes={len(archive) - 3}-999999999")
    assert past.status_code == 206 and _body(past) == archive[-3:]


@pytest.mark.parametrize(
    "header", ["bytes=999999-", "bytes=5-2", "bytes=-0", "bytes=-", "items=0-5", "bytes=0-1,4-5"]
)
def test_an_unsatisfiable_range_gets_416(client, archive, header):
    response = client.get(ARCHIVE, HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(archive)}"


def test_no_range_gets_the_whole_file(client, archive):
    response = client.get(ARCHIVE)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert _body(response) == archive


def test_only_the_configured_archive_is_served(client, archive, tmp_path):
    (tmp_path / "secret.txt").write_text("not for you")
    for url in (
        f"{ARCHIVE}/../secret.txt",
        "/maps/secret.txt",
        "/maps/..%2Fsecret.txt",
        f"/maps/{tmp_path}/secret.txt",
        "/maps/%2e%2e/%2e%2e/etc/passwd",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"not for you" not in response.content


def test_no_archive_configured_or_missing_is_404(client, settings, tmp_path):
    settings.MAP_PMTILES_PATH = ""
    assert client.get(ARCHIVE).status_code == 404
    settings.MAP_PMTILES_PATH = str(tmp_path / "gone.pmtiles")
    assert client.get(ARCHIVE).status_code == 404
    assert client.post(ARCHIVE).status_code == 405


def _map(markers) -> str:
    request = RequestFactory().get("/")
    template = Template("{% load maps %}{% show_map markers 'Test' %}")
    return template.render(Context({"markers": markers, "request": request}))


MARKERS = [{"lat": 16.8, "lon": 107.1, "name": "Bưu điện Đông Hà", "kind": "point"}]


def test_without_a_base_map_the_points_go_on_a_plain_background(settings):
    settings.MAP_PMTILES_PATH = ""
    settings.MAP_TILE_URL = ""
    html = _map(MARKERS)
    assert 'data-base=""' in html and "pg-map-plain" in html
    assert 'type="application/json"' in html and "107.1" in html
    assert "<script>" not in html  # markers as json_script data, no inline script


def test_a_tile_url_goes_to_the_map(settings):
    settings.MAP_PMTILES_PATH = ""
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    html = _map(MARKERS)
    assert 'data-base="tiles"' in html
    assert 'data-tiles="https://tiles.example.org/{z}/{x}/{y}.png"' in html


def test_a_good_archive_is_read_by_the_browser(archive):
    html = _map(MARKERS)
    assert 'data-base="pmtiles"' in html and f'data-archive="{ARCHIVE}"' in html
    assert "vendor/pmtiles/pmtiles.js" in html


def test_a_corrupt_archive_is_said_plainly_and_the_points_still_show(settings, tmp_path):
    path = tmp_path / "broken.pmtiles"
    path.write_bytes(b"<html>not a map</html>")
    settings.MAP_PMTILES_PATH = str(path)
    html = _map(MARKERS)
    assert 'data-testid="map-broken"' in html and 'data-base=""' in html
    settings.MAP_PMTILES_PATH = str(tmp_path / "missing.pmtiles")
    assert 'data-testid="map-broken"' in _map(MARKERS)


def _settings_with(**env) -> str:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )
    result = subprocess.run(  # noqa: S603 — our own interpreter and code
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout + result.stderr


def test_the_tile_host_is_allowed_by_the_content_security_policy():
    out = _settings_with(MAP_TILE_URL="https://{s}.tile.example.org/{z}/{x}/{y}.png")
    assert "https://*.tile.example.org" in out
    assert "ImproperlyConfigured" in _settings_with(MAP_TILE_URL="ftp://example.org/tiles")
    assert "blob:" in _settings_with(MAP_PMTILES_PATH="/srv/maps/vietnam.pmtiles")


class _Staff:
    is_staff = True


def test_staff_are_told_how_to_add_a_base_map_and_the_public_is_not(settings):
    settings.MAP_PMTILES_PATH = ""
    settings.MAP_TILE_URL = ""
    assert 'data-testid="map-admin-note"' not in _map(MARKERS)
    request = RequestFactory().get("/")
    request.user = _Staff()
    template = Template("{% load maps %}{% show_map markers %}")
    html = template.render(Context({"markers": MARKERS, "request": request}))
    assert 'data-testid="map-admin-note"' in html and "MAP_TILE_URL" in html


def test_one_set_of_scripts_for_two_maps(settings):
    settings.MAP_PMTILES_PATH = ""
    template = Template("{% load maps %}{% show_map markers %}{% show_map markers %}")
    html = template.render(Context({"markers": MARKERS, "request": RequestFactory().get("/")}))
    assert html.count("vendor/leaflet/leaflet.js") == 1
    assert 'id="pg-map-1"' in html and 'id="pg-map-2"' in html
