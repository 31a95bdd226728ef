"""A postman walks the day's route in Chromium: logs in with the second factor, opens "my
route today", sees the stops in the planned order and the line joining them on the map,
records the next stop's visit as failed through the pickup's and the delivery's own pages,
and each time the route plans again with the next stop after it."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from postgov.delivery import actions, scheduling
from postgov.delivery.models import PickupBooking
from postgov.dossiers.carriage import returns
from postgov.dossiers.models import Dossier
from postgov.identity.access import Access
from postgov.places.models import ServicePoint
from postgov.places.postal_codes import import_postal_codes
from tests.agency_helpers import handed_over, move
from tests.browser import log_in
from tests.browser_tests.test_intake_journey import shot
from tests.factories import make_intake_catalog

pytestmark = [pytest.mark.browser, pytest.mark.clock]

POSTAL_CODES = (
    "code,name,kind,province_code,commune_code,latitude,longitude\n"
    "48100,Phường Đông Hà,commune,44,19333,16.802,107.071\n"
)
OFFICE = (16.800, 107.070)
ROUTE_LINE = 'path[stroke="#0d6efd"]'


def stops(page) -> list[str]:
    return page.get_by_test_id("stop").evaluate_all("rows => rows.map(r => r.dataset.code)")


def next_stop(page) -> str:
    return page.locator('[data-testid="stop"][aria-current="step"]').get_attribute("data-code")


def test_a_postman_walks_the_route_and_it_plans_again(
    page, world, supervisor_a, postman_a, settings
):
    settings.MAP_TILE_URL = ""
    settings.MAP_PMTILES_PATH = ""
    import_postal_codes(io.StringIO(POSTAL_CODES), "test", "2025-07-01")
    version = make_intake_catalog(world)
    ServicePoint.objects.filter(pk=world.point_a.pk).update(latitude=OFFICE[0], longitude=OFFICE[1])
    day = scheduling.first_collection_day(None)
    made = {}
    # Booked far first, near last: the route visits them the other way round.
    # A little east or west of the office's meridian, so that no three stops are in one
    # straight line (Leaflet draws such a line with fewer points).
    for code, north, east in (("far", 0.03, -0.002), ("near", 0.005, 0.002), ("mid", 0.015, 0.002)):
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
            latitude=OFFICE[0] + north, longitude=OFFICE[1] + east
        )
        made[code] = PickupBooking.objects.get(pk=booking.pk).code
    nine = dt.datetime.combine(day, dt.time(9, 0), tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    with time_machine.travel(nine, tick=True):
        dossier = handed_over(world)
        move(dossier, "accept", world.agency_receiver)
        move(dossier, "result_ready", world.agency_officer)
        move(dossier, "collect_result", postman_a)
        returns.out_for_delivery(dossier.pk, user=postman_a, access=Access.for_user(postman_a))
        # Next door to the nearest pickup: visited right after it.
        Dossier.objects.filter(pk=dossier.pk).update(
            return_latitude=OFFICE[0] + 0.006, return_longitude=OFFICE[1] - 0.002
        )
        dossier.refresh_from_db()
        log_in(page, "postman_a")
        assert "/accounts/login/" not in page.url
        page.goto(reverse("carriage:route"))
        expect(page.get_by_test_id("map")).to_have_attribute("data-map-ready", "")
        assert stops(page) == [made["near"], dossier.code, made["mid"], made["far"]]
        assert next_stop(page) == made["near"]
        # The line of the route joins the post office and the four stops.
        line = page.locator(ROUTE_LINE)
        expect(line).to_have_count(1)
        assert line.get_attribute("d").count("L") == 4
        assert page.locator("path.leaflet-interactive").count() == 5
        shot(page, "route-1-planned")

        # The nearest pickup: nobody at home.
        page.locator(f'[data-testid="stop"][data-code="{made["near"]}"] a.pg-mono').click()
        page.get_by_text("Không thu gom được").click()
        page.get_by_label("Không có người ở nhà").check()
        page.get_by_role("button", name="Ghi nhận thu gom không thành công").click()
        expect(page.locator(".alert-success")).to_be_visible()
        shot(page, "route-2-pickup-failed")
        page.goto(reverse("carriage:route"))
        assert stops(page) == [dossier.code, made["mid"], made["far"]]
        assert next_stop(page) == dossier.code
        assert page.locator(ROUTE_LINE).get_attribute("d").count("L") == 3

        # The result next door: the recipient is away.
        page.locator(f'[data-testid="stop"][data-code="{dossier.code}"] a.pg-mono').click()
        page.get_by_text("Không phát được").click()
        page.get_by_label("Người nhận vắng nhà").check()
        page.get_by_role("button", name="Ghi nhận phát không thành công").click()
        expect(page.locator(".alert-warning")).to_be_visible()
        page.goto(reverse("carriage:route"))
        assert stops(page) == [made["mid"], made["far"]]
        assert next_stop(page) == made["mid"]
        shot(page, "route-3-planned-again")
