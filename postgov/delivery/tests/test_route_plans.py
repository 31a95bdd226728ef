"""A planned route is kept in the cache under a fingerprint of its inputs: a reload without
a change follows the kept order (with arrivals from the real departure), and a stop added,
moved or gone, another slot of the day or another day plans again."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

import pytest
from django.core.cache import cache

from postgov.delivery import route_plans
from postgov.delivery.routing import Stop, follow, plan_route
from postgov.delivery.tests.test_routing import POST_OFFICE, random_stops

DAY = dt.date(2026, 3, 10)
NINE = 540.0


@pytest.fixture(autouse=True)
def _empty_cache(db):
    cache.clear()
    yield
    cache.clear()


def keys(route) -> list[str]:
    return [p.stop.key for p in route.stops]


def test_a_reload_without_a_change_does_not_plan_again():
    stops = random_stops(7, 40)
    first, planned = route_plans.planned_route(POST_OFFICE, stops, depart=NINE, day=DAY)
    assert planned
    started = time.perf_counter()
    again, planned = route_plans.planned_route(POST_OFFICE, stops, depart=NINE + 3, day=DAY)
    assert not planned and time.perf_counter() - started < 0.05
    assert keys(again) == keys(first)
    # Arrivals are worked out from the real departure, three minutes later here.
    assert again.stops[0].arrival >= first.stops[0].arrival
    assert again.distance_km == pytest.approx(first.distance_km)


@pytest.mark.parametrize(
    "change",
    ["added", "failed", "moved", "window", "next slot", "next day"],
)
def test_a_change_plans_again(change):
    stops = random_stops(11, 20)
    route_plans.planned_route(POST_OFFICE, stops, depart=NINE, day=DAY)
    depart, day = NINE, DAY
    if change == "added":
        stops = [*stops, Stop("new", POST_OFFICE[0] + 0.001, POST_OFFICE[1], None, None)]
    elif change == "failed":
        stops = stops[1:]
    elif change == "moved":
        stops = [replace(stops[0], lat=stops[0].lat + 0.001), *stops[1:]]
    elif change == "window":
        stops = [replace(stops[0], opens=600.0, closes=700.0), *stops[1:]]
    elif change == "next slot":
        depart = NINE + route_plans.SLOT_MINUTES
    else:
        day = DAY + dt.timedelta(days=1)
    route, planned = route_plans.planned_route(POST_OFFICE, stops, depart=depart, day=day)
    assert planned
    assert sorted(keys(route)) == sorted(s.key for s in stops)


def test_a_stop_without_a_position_stays_last_in_a_kept_plan():
    stops = [*random_stops(3, 6), Stop("nowhere", None, None)]
    route_plans.planned_route(POST_OFFICE, stops, depart=NINE, day=DAY)
    route, planned = route_plans.planned_route(POST_OFFICE, stops, depart=NINE, day=DAY)
    assert not planned
    assert keys(route)[-1] == "nowhere" and route.stops[-1].unlocated


def test_following_an_order_gives_the_plans_figures():
    stops = random_stops(5, 12)
    route = plan_route(POST_OFFICE, stops, depart=NINE)
    again = follow(POST_OFFICE, stops, keys(route), depart=NINE)
    assert keys(again) == keys(route)
    assert [p.arrival for p in again.stops] == [p.arrival for p in route.stops]
    assert again.distance_km == pytest.approx(route.distance_km)
    with pytest.raises(ValueError):
        follow(POST_OFFICE, stops, keys(route)[1:], depart=NINE)
