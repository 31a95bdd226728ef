"""The public pickup form's pin: a position put on the map is kept with its Vpostcode;
one far from the commune, half a position or junk is told above the form in the page's
language with everything typed kept; without a pin (no JavaScript) the commune's centre."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.cache import cache

from postgov.audit.models import AuditEvent
from postgov.delivery.models import PickupBooking
from postgov.delivery.tests.test_pickups import BOOK, booking_post
from postgov.places.models import ServicePoint
from postgov.places.postal_codes import import_postal_codes
from tests.factories import make_intake_catalog

pytestmark = pytest.mark.clock


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


POSTAL_CODES = (
    "code,name,kind,province_code,commune_code,latitude,longitude\n"
    "48100,Phường Đông Hà,commune,44,19333,16.802,107.071\n"
)


@pytest.fixture
def version(world):
    import_postal_codes(io.StringIO(POSTAL_CODES), "test", "2025-07-01")
    return make_intake_catalog(world)


def markers(html: str) -> list[dict]:
    found = re.search(r'<script id="pg-map-1-markers"[^>]*>(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else []


def test_the_form_offers_a_pin_at_the_communes_centre_once_it_is_known(client, world, version):
    # No commune chosen yet: amid the post offices that take bookings.
    assert markers(client.get(BOOK).content.decode()) == []
    ServicePoint.objects.filter(pk=world.point_a.pk).update(latitude=16.81, longitude=107.10)
    html = client.get(BOOK).content.decode()
    pin = markers(html)[0]
    assert (pin["lat"], pin["lon"]) == (16.81, 107.10)
    assert pin["kind"] == "pin" and pin["lat_input"] == "id_latitude"
    assert 'type="hidden" name="latitude"' in html
    # A form sent back (a full window, say) puts the pin at the chosen commune.
    post = booking_post(world, version, name="")
    html = client.post(BOOK, post).content.decode()
    pin, centre = markers(html)
    assert (pin["lat"], pin["lon"]) == (world.commune_a.latitude, world.commune_a.longitude)
    assert centre["kind"] == "centre"


def test_a_pinned_house_is_kept_with_its_vpostcode(client, world, version):
    response = client.post(
        BOOK, booking_post(world, version, latitude="16.8061", longitude="107.0752")
    )
    assert response.status_code == 302
    booking = PickupBooking.objects.get()
    assert (booking.latitude, booking.longitude) == (16.8061, 107.0752)
    assert booking.position_source == "pin" and booking.vpostcode.startswith("48100")
    event = AuditEvent.objects.get(action="pickup.booked")
    assert event.details["position_source"] == "pin"


def test_without_a_pin_the_communes_centre_is_used(client, world, version):
    assert client.post(BOOK, booking_post(world, version)).status_code == 302
    booking = PickupBooking.objects.get()
    assert booking.position_source == "commune"


@pytest.mark.parametrize(
    ("latitude", "longitude", "english", "vietnamese"),
    [
        ("21.0285", "105.8542", "km from the centre of Phường Đông Hà", "Vị trí cách trung tâm"),
        ("16.8", "", "not a valid latitude and longitude", "vĩ độ và kinh độ hợp lệ"),
        ("abc", "107", "not a valid latitude and longitude", "vĩ độ và kinh độ hợp lệ"),
        ("nan", "inf", "not a valid latitude and longitude", "vĩ độ và kinh độ hợp lệ"),
    ],
)
def test_a_bad_pin_is_told_and_nothing_typed_is_lost(
    client, world, version, latitude, longitude, english, vietnamese
):
    post = booking_post(world, version, latitude=latitude, longitude=longitude)
    response = client.post(BOOK, post, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200 and english in html
    assert "Hoàng Thị Mai" in html and "Số 12 Lê Duẩn" in html
    assert not PickupBooking.objects.exists()
    html = client.post(BOOK, post, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert vietnamese in html
