"""The public front door passes axe-core's WCAG 2.1 A and AA rules in Chromium: finding a
post office, a post office's page, a procedure's page, the post offices that receive it
and the home pickup form with its map pin.

axe-core (MPL-2.0) is vendored under tests/browser_tests/vendor/ for the tests only and is
run through the browser's debugging protocol, so the site's Content-Security-Policy stays as
it is served."""

from __future__ import annotations

from pathlib import Path

import pytest

from postgov.catalog.demo import load_demo as load_catalog
from postgov.places.demo import load_demo as load_places
from postgov.places.loading import load_admin_units

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page) -> list[str]:
    page.evaluate(AXE)
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => v.id + ': ' + v.help + ' — ' +"
        " v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))",
        RULES,
    )
    return [f"{page.url}: {v}" for v in found]


def test_the_public_pages_pass_wcag_21_aa(page, transactional_db, settings):
    settings.MAP_TILE_URL = ""
    settings.MAP_PMTILES_PATH = ""
    load_admin_units()
    load_places()
    load_catalog()
    found = []

    page.goto("/places/find/")
    found += violations(page)
    place = page.get_by_label("Xã/phường hoặc địa chỉ")
    place.fill("Phường 1, thành phố Đông Hà, tỉnh Quảng Trị")
    place.press("Enter")
    page.get_by_test_id("find-result").first.wait_for()
    found += violations(page)

    page.get_by_test_id("find-result").first.get_by_role("link").first.click()
    page.get_by_test_id("map").wait_for()
    found += violations(page)

    page.goto("/catalog/?q=khai+sinh")
    page.get_by_role("link", name="Đăng ký khai sinh").click()
    page.wait_for_load_state()
    found += violations(page)
    procedure = page.url
    page.goto(procedure.rstrip("/") + "/post-offices/")
    found += violations(page)

    # The home pickup form, with the map pin on the house.
    page.goto("/delivery/pickup/")
    page.get_by_test_id("map").wait_for()
    found += violations(page)

    assert not found, "\n".join(found)
