import random

import pytest

from postgov.delivery.routing import Stop, booked_order, plan_route, road_km

POST_OFFICE = (21.0285, 105.8542)
MORNING = (450.0, 690.0)
AFTERNOON = (810.0, 1020.0)


def random_stops(seed: int, count: int, spread: float = 0.02) -> list[Stop]:
    rng = random.Random(seed)
    stops = []
    for i in range(count):
        opens, closes = rng.choice((MORNING, AFTERNOON))
        stops.append(
            Stop(
                key=f"s{i}",
                lat=POST_OFFICE[0] + rng.uniform(-spread, spread),
                lon=POST_OFFICE[1] + rng.uniform(-spread, spread),
                opens=opens,
                closes=closes,
            )
        )
    return stops


def test_road_distance_is_haversine_times_the_road_factor():
    # One degree of latitude is about 111.2 km as the crow flies.
    assert road_km((0.0, 0.0), (1.0, 0.0)) == pytest.approx(111.19 * 1.3, rel=1e-3)
    assert road_km(POST_OFFICE, POST_OFFICE) == 0


@pytest.mark.parametrize("seed", range(12))
def test_every_stop_once_windows_kept_and_never_longer_than_the_booked_order(seed):
    stops = random_stops(seed, 14)
    route = plan_route(POST_OFFICE, stops)
    assert sorted(p.stop.key for p in route.stops) == sorted(s.key for s in stops)
    for planned in route.stops:
        assert not planned.late
        assert planned.stop.opens <= planned.arrival <= planned.stop.closes
    assert route.distance_km <= route.booked_distance_km + 1e-9


def test_morning_stops_come_before_afternoon_ones_even_when_the_afternoon_is_on_the_way():
    near_afternoon = Stop("a", POST_OFFICE[0] + 0.001, POST_OFFICE[1], *AFTERNOON)
    far_morning = Stop("m", POST_OFFICE[0] + 0.05, POST_OFFICE[1], *MORNING)
    route = plan_route(POST_OFFICE, [near_afternoon, far_morning])
    assert [p.stop.key for p in route.stops] == ["m", "a"]
    assert route.stops[1].arrival == AFTERNOON[0]


def test_a_line_of_stops_is_walked_outwards_not_in_booked_order():
    stops = [
        Stop(f"s{i}", POST_OFFICE[0] + 0.01 * k, POST_OFFICE[1], *MORNING)
        for i, k in enumerate((3, 1, 4, 2, 5))
    ]
    route = plan_route(POST_OFFICE, stops)
    assert [p.stop.key for p in route.stops] == ["s1", "s3", "s0", "s2", "s4"]
    assert route.distance_km < route.booked_distance_km


def test_stops_without_a_position_go_last_in_booked_order_and_flagged():
    stops = random_stops(3, 5)
    stops.insert(1, Stop("nowhere-1", None, None, *MORNING))
    stops.insert(4, Stop("nowhere-2", 21.0, None, *MORNING))
    route = plan_route(POST_OFFICE, stops)
    assert [p.stop.key for p in route.stops[-2:]] == ["nowhere-1", "nowhere-2"]
    assert all(p.unlocated and p.arrival is None for p in route.stops[-2:])
    assert not any(p.unlocated for p in route.stops[:-2])


def test_stops_without_a_window_fit_anywhere_and_the_day_starts_at_the_first_window():
    stops = [Stop("free", POST_OFFICE[0] + 0.01, POST_OFFICE[1])] + random_stops(5, 4)
    route = plan_route(POST_OFFICE, stops)
    assert {p.stop.key for p in route.stops} == {s.key for s in stops}
    assert min(p.arrival for p in route.stops) >= MORNING[0]


def test_more_than_a_window_can_hold_flags_the_late_ones_rather_than_failing():
    # Sixty stops 10 km apart cannot all be reached in one morning.
    stops = [
        Stop(f"s{i}", POST_OFFICE[0] + 0.09 * (i % 2), POST_OFFICE[1], *MORNING) for i in range(60)
    ]
    route = plan_route(POST_OFFICE, stops)
    assert len(route.stops) == 60
    assert any(p.late for p in route.stops)


def test_the_plan_is_deterministic():
    stops = random_stops(7, 20)
    first = plan_route(POST_OFFICE, stops)
    assert plan_route(POST_OFFICE, list(stops)) == first


def test_an_empty_day_and_the_booked_order():
    assert plan_route(POST_OFFICE, []).stops == ()
    stops = [Stop("b", 0, 0, *AFTERNOON), Stop("a", 0, 0, *MORNING), Stop("c", 0, 0)]
    assert booked_order(stops) == [2, 1, 0]
