"""A citizen finds the post office nearest an address written in the old units, in
Chromium: the list, then the map drawing the points from this site's own Leaflet (no
base map configured: the points and commune names on a plain background)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from postgov.places.demo import load_demo
from postgov.places.loading import load_admin_units
from tests.browser_tests.test_intake_journey import shot

pytestmark = pytest.mark.browser

OLD = "Phường 1, thành phố Đông Hà, tỉnh Quảng Trị"


def test_finding_a_post_office_from_an_old_address(page, transactional_db, settings):
    settings.MAP_TILE_URL = ""
    settings.MAP_PMTILES_PATH = ""
    load_admin_units()
    load_demo()
    page.goto("/places/find/")
    place = page.get_by_label("Xã/phường hoặc địa chỉ")
    place.fill(OLD)
    place.press("Enter")
    expect(page.get_by_test_id("find-origin")).to_contain_text("Phường Đông Hà")
    results = page.get_by_test_id("find-result")
    expect(results.first).to_contain_text("Bưu điện Đông Hà")
    assert results.count() == 5
    expect(page.get_by_label("Xã/phường hoặc địa chỉ")).to_have_value(OLD)
    assert page.url.endswith("/places/find/")  # the address is not in the URL

    map_box = page.get_by_test_id("map")
    expect(map_box).to_have_attribute("data-map-ready", "")
    # One marker per point found, the place looked from, and the communes' centres.
    assert page.locator("path.leaflet-interactive").count() >= 6
    expect(page.locator(".leaflet-tooltip", has_text="Bưu điện Đông Hà").first).to_be_visible()
    # The location button appears with JavaScript (Chromium has geolocation).
    expect(page.get_by_role("button", name="Dùng vị trí của tôi")).to_be_visible()
    shot(page, "find-post-office")

    # The post office's own page shows it on a small map.
    results.first.get_by_role("link", name="Bưu điện Đông Hà").click()
    expect(page.get_by_test_id("map")).to_have_attribute("data-map-ready", "")
    assert page.locator("path.leaflet-interactive").count() == 2  # the office, its commune
    expect(page.locator(".leaflet-tooltip", has_text="Phường Đông Hà")).to_be_visible()
    shot(page, "find-post-office-point")
