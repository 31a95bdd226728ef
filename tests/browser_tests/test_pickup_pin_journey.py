"""A citizen books a home pickup and puts the pin on the house, in Chromium: a click on the
map fills the hidden position fields; the booking keeps the position and its Vpostcode (no
base map configured: the pin on a plain background)."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from postgov.delivery import scheduling
from postgov.delivery.models import PickupBooking
from postgov.places.models import ServicePoint
from postgov.places.postal_codes import import_postal_codes
from tests.browser_tests.test_intake_journey import shot
from tests.factories import make_intake_catalog

pytestmark = [pytest.mark.browser, pytest.mark.clock]

POSTAL_CODES = (
    "code,name,kind,province_code,commune_code,latitude,longitude\n"
    "48100,Phường Đông Hà,commune,44,19333,16.802,107.071\n"
)


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


def test_a_citizen_pins_the_house_when_booking_a_pickup(page, world, settings):
    settings.MAP_TILE_URL = ""
    settings.MAP_PMTILES_PATH = ""
    import_postal_codes(io.StringIO(POSTAL_CODES), "test", "2025-07-01")
    version = make_intake_catalog(world)
    ServicePoint.objects.filter(pk=world.point_a.pk).update(latitude=16.81, longitude=107.10)
    page.goto(f"/delivery/pickup/?procedure={version.procedure.code}")
    map_box = page.get_by_test_id("map")
    expect(map_box).to_have_attribute("data-map-ready", "")
    assert page.input_value("#id_latitude") == ""
    box = map_box.bounding_box()
    map_box.click(position={"x": box["width"] / 2 - 50, "y": box["height"] / 2 + 30})
    expect(map_box).to_have_attribute("data-pinned", "")
    latitude = float(page.input_value("#id_latitude"))
    longitude = float(page.input_value("#id_longitude"))
    assert latitude < 16.81 and longitude < 107.10
    page.fill("#id_name", "Hoàng Thị Mai")
    page.fill("#id_phone", "0987654321")
    page.fill("#id_address", "Số 12 Lê Duẩn")
    page.select_option("#id_commune", str(world.commune_a.pk))
    page.fill("#id_date", scheduling.first_collection_day(None).isoformat())
    page.check("input[name=window][value=morning]")
    page.check("#id_consent")
    shot(page, "pickup-pin-house")
    page.get_by_role("button", name="Đặt lịch").click()
    page.locator(".pg-pickup").wait_for()
    booking = PickupBooking.objects.get()
    assert booking.position_source == "pin"
    assert round(booking.latitude, 6) == round(latitude, 6)
    assert booking.vpostcode.startswith("48100")
