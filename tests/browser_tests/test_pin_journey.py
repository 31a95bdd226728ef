"""The clerk pins the delivery address on the map at the counter, in Chromium: a click on
the map moves the pin and fills the hidden position fields; the draft keeps the position
and its Vpostcode (no base map configured: the pin on a plain background)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from postgov.dossiers.models import Dossier
from postgov.dossiers.tests.intake_helpers import draft
from postgov.places.postal_codes import import_postal_codes
from tests.browser import log_in
from tests.browser_tests.test_intake_journey import shot
from tests.factories import make_intake_catalog

pytestmark = pytest.mark.clock

POSTAL_CODES = (
    "code,name,kind,province_code,commune_code,latitude,longitude\n"
    "48100,Phường Đông Hà,commune,44,19333,16.802,107.071\n"
)


@pytest.mark.browser
def test_the_clerk_pins_the_delivery_address(page, world, clerk_a, settings):
    settings.MAP_TILE_URL = ""
    settings.MAP_PMTILES_PATH = ""
    import_postal_codes(io.StringIO(POSTAL_CODES), "test", "2025-07-01")
    dossier = draft(world, make_intake_catalog(world))
    log_in(page, "clerk_a")
    page.goto(reverse("dossiers:intake_fees", args=[dossier.pk]))
    map_box = page.get_by_test_id("map")
    expect(map_box).to_have_attribute("data-map-ready", "")
    assert page.input_value("#id_return_latitude") == ""
    expect(page.locator(".leaflet-marker-icon")).to_be_visible()

    # A click up and to the right of the pin (which starts at the ward's centre).
    box = map_box.bounding_box()
    map_box.click(position={"x": box["width"] / 2 + 60, "y": box["height"] / 2 - 40})
    expect(map_box).to_have_attribute("data-pinned", "")
    latitude = float(page.input_value("#id_return_latitude"))
    longitude = float(page.input_value("#id_return_longitude"))
    assert 16.802 < latitude < 16.82 and 107.071 < longitude < 107.09
    shot(page, "intake-pin-delivery-address")

    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.locator(".alert-success")).to_be_visible()
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.return_position_source == "pin"
    assert round(dossier.return_latitude, 6) == round(latitude, 6)
    assert dossier.return_vpostcode.startswith("48100")
    # Back on the page, the pin stands where it was put.
    assert float(page.input_value("#id_return_latitude")) == pytest.approx(latitude)
