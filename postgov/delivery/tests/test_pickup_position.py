"""The pickup address's position: the commune's centre at booking, the same phone's last
confirmed position proposed again, the postman's confirmation at the door (audited)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.delivery import actions, scheduling
from postgov.delivery.models import PickupBooking
from postgov.identity.access import Access
from postgov.places.postal_codes import import_postal_codes
from tests.factories import make_intake_catalog

pytestmark = pytest.mark.clock

POSTAL_CODES = (
    "code,name,kind,province_code,commune_code,latitude,longitude\n"
    "48100,Phường Đông Hà,commune,44,19333,16.802,107.071\n"
)
DOOR = ("16.8105", "107.0755")


@pytest.fixture
def version(world):
    import_postal_codes(io.StringIO(POSTAL_CODES), "test", "2025-07-01")
    return make_intake_catalog(world)


def book(world, version, address="Số 12 Lê Duẩn") -> PickupBooking:
    return actions.book_pickup(
        procedure=version.procedure,
        name="Hoàng Thị Mai",
        phone="0987654321",
        address=address,
        commune=world.commune_a,
        day=scheduling.first_collection_day(None),
        window="morning",
    )


def assigned(world, version, supervisor_a, postman_a, **kwargs) -> PickupBooking:
    booking = book(world, version, **kwargs)
    return actions.assign_pickup(
        booking.pk, postman_a, actor=supervisor_a, access=Access.for_user(supervisor_a)
    )


def test_a_booking_starts_at_the_commune_centre_marked_approximate(world, version):
    booking = book(world, version)
    assert (booking.latitude, booking.longitude) == (16.802, 107.071)
    assert booking.position_source == "commune" and booking.vpostcode.startswith("48100")


def test_the_postman_confirms_the_position_at_the_door(
    client, world, version, supervisor_a, postman_a
):
    booking = assigned(world, version, supervisor_a, postman_a)
    client.force_login(postman_a)
    page = client.get(reverse("delivery:pickup", args=[booking.pk])).content.decode()
    assert "data-door-position" in page and booking.vpostcode in page
    url = reverse("delivery:pickup_position", args=[booking.pk])
    response = client.post(url, {"latitude": DOOR[0], "longitude": DOOR[1]})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.latitude, booking.longitude) == (16.8105, 107.0755)
    assert booking.position_source == "door" and booking.vpostcode.startswith("48100")
    event = AuditEvent.objects.get(action="pickup.position_confirmed")
    assert event.actor_id == postman_a.pk and event.details["previous"] == "commune"
    listing = client.get(reverse("delivery:pickups")).content.decode()
    assert booking.vpostcode in listing
    # The same phone books again for the same address: the confirmed position is proposed.
    again = book(world, version, address="số 12  Lê Duẩn")
    assert (again.latitude, again.position_source) == (16.8105, "door")


@pytest.mark.parametrize(
    "lang,expected", [("vi", "phải trong phạm vi 30 km"), ("en", "must be within 30 km")]
)
def test_a_far_position_is_refused(client, world, version, supervisor_a, postman_a, lang, expected):
    booking = assigned(world, version, supervisor_a, postman_a)
    client.force_login(postman_a)
    url = reverse("delivery:pickup_position", args=[booking.pk])
    response = client.post(
        url, {"latitude": "16.46", "longitude": "107.59"}, HTTP_ACCEPT_LANGUAGE=lang, follow=True
    )
    assert expected in response.content.decode()
    booking.refresh_from_db()
    assert booking.position_source == "commune"
    assert not AuditEvent.objects.filter(action="pickup.position_confirmed").exists()


def test_others_cannot_set_the_position(client, world, version, supervisor_a, postman_a, clerk_b):
    booking = assigned(world, version, supervisor_a, postman_a)
    client.force_login(clerk_b)
    url = reverse("delivery:pickup_position", args=[booking.pk])
    response = client.post(url, {"latitude": DOOR[0], "longitude": DOOR[1]})
    assert response.status_code in (403, 404)
    booking.refresh_from_db()
    assert booking.position_source == "commune"
