"""The postman's route for today: only for postmen, the planned order shown with the next
stop marked, planned again on each load so a failed visit drops out."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from postgov.delivery import actions, scheduling
from postgov.delivery.models import PickupAttempt, PickupBooking
from postgov.dossiers.carriage import returns
from postgov.dossiers.models import Dossier
from postgov.identity.access import Access
from postgov.places.models import ServicePoint
from postgov.places.postal_codes import import_postal_codes
from tests.agency_helpers import handed_over, move
from tests.factories import make_intake_catalog

pytestmark = pytest.mark.clock

ROUTE = reverse("carriage:route")
POSTAL_CODES = (
    "code,name,kind,province_code,commune_code,latitude,longitude\n"
    "48100,Phường Đông Hà,commune,44,19333,16.802,107.071\n"
)
OFFICE = (16.800, 107.070)


@pytest.fixture
def bookings(world, supervisor_a, postman_a):
    import_postal_codes(io.StringIO(POSTAL_CODES), "test", "2025-07-01")
    version = make_intake_catalog(world)
    ServicePoint.objects.filter(pk=world.point_a.pk).update(latitude=OFFICE[0], longitude=OFFICE[1])
    day = scheduling.first_collection_day(None)
    made = {}
    # Booked far first, near last: the route visits them the other way round.
    for code, north in (("far", 0.03), ("near", 0.005), ("mid", 0.015)):
        booking = actions.book_pickup(
            procedure=version.procedure,
            name="Hoàng Thị Mai",
            phone="0987654321",
            address=f"Số {code} Lê Duẩn",
            commune=world.commune_a,
            day=day,
            window="morning",
        )
        actions.assign_pickup(
            booking.pk, postman_a, actor=supervisor_a, access=Access.for_user(supervisor_a)
        )
        PickupBooking.objects.filter(pk=booking.pk).update(
            latitude=OFFICE[0] + north, longitude=OFFICE[1]
        )
        made[code] = PickupBooking.objects.get(pk=booking.pk)
    return day, made


def at_nine(day):
    return time_machine.travel(
        dt.datetime.combine(day, dt.time(9, 0), tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")), tick=False
    )


def stop_codes(html: str) -> list[str]:
    return [part.split('"', 1)[0] for part in html.split('data-testid="stop" data-code="')[1:]]


def test_outsiders_and_clerks_are_refused(client, world, outsider, clerk_a):
    assert client.get(ROUTE).status_code == 302
    for person in (outsider, clerk_a):
        client.force_login(person)
        assert client.get(ROUTE).status_code == 403


def test_the_route_is_in_planned_order_and_a_failed_visit_drops_out(client, bookings, postman_a):
    day, made = bookings
    with at_nine(day):
        client.force_login(postman_a)
        response = client.get(ROUTE, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        html = response.content.decode()
        assert stop_codes(html) == [made[k].code for k in ("near", "mid", "far")]
        assert html.count('aria-current="step"') == 1
        assert "Next stop" in html and "geo:16.805,107.07" in html
        actions.record_failed_visit(
            made["near"].pk,
            PickupAttempt.Reason.values[0],
            actor=postman_a,
            access=Access.for_user(postman_a),
        )
        html = client.get(ROUTE, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert stop_codes(html) == [made[k].code for k in ("mid", "far")]
    assert "Điểm tiếp theo" in html


def test_a_day_without_stops(client, world, postman_a):
    client.force_login(postman_a)
    html = client.get(ROUTE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No stops today." in html


def test_a_stop_without_a_position_comes_last_and_the_map_draws_the_route(
    client, bookings, postman_a
):
    day, made = bookings
    PickupBooking.objects.filter(pk=made["near"].pk).update(latitude=None, longitude=None)
    with at_nine(day):
        client.force_login(postman_a)
        html = client.get(ROUTE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert stop_codes(html) == [made[k].code for k in ("mid", "far", "near")]
    assert "No position for this address: placed last." in html
    assert html.count('"route": true') == 3  # the post office and the two placed stops


def test_a_result_out_for_delivery_is_a_stop_without_a_window(client, bookings, world, postman_a):
    day, made = bookings
    with at_nine(day):
        dossier = handed_over(world)
        move(dossier, "accept", world.agency_receiver)
        move(dossier, "result_ready", world.agency_officer)
        move(dossier, "collect_result", postman_a)
        returns.out_for_delivery(dossier.pk, user=postman_a, access=Access.for_user(postman_a))
        # Next door to the nearest pickup: visited right after it.
        Dossier.objects.filter(pk=dossier.pk).update(
            return_latitude=OFFICE[0] + 0.006, return_longitude=OFFICE[1]
        )
        dossier.refresh_from_db()
        client.force_login(postman_a)
        html = client.get(ROUTE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    codes = [made["near"].code, dossier.code, made["mid"].code, made["far"].code]
    assert stop_codes(html) == codes
    assert "Any time today" in html


def test_a_postal_orders_result_out_for_delivery_is_a_stop_too(client, bookings, world, postman_a):
    from postgov.dossiers.orders import actions as orders
    from postgov.dossiers.orders.models import PostalOrder
    from postgov.dossiers.tests.test_order_notices import collected
    from postgov.dossiers.tests.test_order_pages import order_of

    day, made = bookings
    with at_nine(day):
        order = order_of(world)
        access = collected(world, order)
        orders.step(order.pk, "out_for_delivery", actor=postman_a, access=access)
        # Between the nearest pickup and the middle one.
        PostalOrder.objects.filter(pk=order.pk).update(
            latitude=OFFICE[0] + 0.01, longitude=OFFICE[1]
        )
        client.force_login(postman_a)
        html = client.get(ROUTE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert stop_codes(html) == [made["near"].code, order.code, made["mid"].code, made["far"].code]
    assert "Postal order" in html
    assert reverse("orders:point_order", args=[order.pk]) in html
