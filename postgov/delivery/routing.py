"""The order of a postman's stops for the day: a pure function over plain data.

No solver library: the days are small (tens of stops) and the windows of a pickup do not
overlap, so a feasible insertion followed by 2-opt and single-stop moves, each accepted
only when it keeps every window, gets close enough in milliseconds (decision 0015).

The cost of a route is compared as (stops reached after their window closes, distance):
a shorter route never buys a missed window. The result is never worse than the booked
order put in window order, which is kept when the search finds nothing better.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

ROAD_FACTOR = 1.3
SPEED_KMH = 25.0
SERVICE_MINUTES = 5.0
EARTH_RADIUS_KM = 6371.0
# Improvements smaller than this are rounding noise; ignoring them keeps the search finite.
EPSILON_KM = 1e-9
MAX_PASSES = 50


@dataclass(frozen=True)
class Stop:
    """A place to visit. `opens`/`closes` in minutes after midnight; None is any time."""

    key: str
    lat: float | None
    lon: float | None
    opens: float | None = None
    closes: float | None = None

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class PlannedStop:
    stop: Stop
    arrival: float | None  # minutes after midnight; None for a stop without a position
    late: bool
    unlocated: bool


@dataclass(frozen=True)
class Route:
    stops: tuple[PlannedStop, ...]
    distance_km: float
    booked_distance_km: float


def road_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h))) * ROAD_FACTOR


class _Problem:
    def __init__(self, start: tuple[float, float], stops: Sequence[Stop], depart: float):
        self.stops = stops
        self.depart = depart
        points = [start] + [_position(s) for s in stops]
        self.dist = [[road_km(p, q) for q in points] for p in points]

    def length(self, order: Sequence[int]) -> float:
        total, here = 0.0, 0
        for i in order:
            total += self.dist[here][i + 1]
            here = i + 1
        return total

    def arrivals(self, order: Sequence[int]) -> list[tuple[float, bool]]:
        clock, here, out = self.depart, 0, []
        for i in order:
            clock += self.dist[here][i + 1] / SPEED_KMH * 60
            stop = self.stops[i]
            if stop.opens is not None and clock < stop.opens:
                clock = stop.opens
            out.append((clock, stop.closes is not None and clock > stop.closes))
            clock += SERVICE_MINUTES
            here = i + 1
        return out

    def late(self, order: Sequence[int]) -> int:
        return sum(late for _, late in self.arrivals(order))

    def cost(self, order: Sequence[int]) -> tuple[int, float]:
        return self.late(order), self.length(order)

    def improves(self, order: Sequence[int], cost: tuple[int, float]) -> tuple[int, float] | None:
        """The cost of `order` when better than `cost`; the windows are only walked when
        the distance alone could make it better."""
        length = self.length(order)
        if cost[0] == 0 and length >= cost[1] - EPSILON_KM:
            return None
        new = (self.late(order), length)
        return new if _better(new, cost) else None


def _position(stop: Stop) -> tuple[float, float]:
    if stop.lat is None or stop.lon is None:
        raise ValueError("a stop without a position cannot be routed")
    return stop.lat, stop.lon


def _better(a: tuple[int, float], b: tuple[int, float]) -> bool:
    return a[0] < b[0] or (a[0] == b[0] and a[1] < b[1] - EPSILON_KM)


def _insertion(problem: _Problem, indices: Sequence[int]) -> list[int]:
    """Insert stops, earliest closing first, each where it lengthens the route least."""
    todo = sorted(indices, key=lambda i: (_closes(problem.stops[i]), i))
    order: list[int] = []
    for i in todo:
        best: list[int] | None = None
        best_cost: tuple[int, float] | None = None
        for at in range(len(order) + 1):
            candidate = order[:at] + [i] + order[at:]
            cost = problem.cost(candidate)
            if best_cost is None or _better(cost, best_cost):
                best, best_cost = candidate, cost
        order = best or [i]
    return order


def _improve(problem: _Problem, order: list[int]) -> list[int]:
    """2-opt reversals and single-stop moves, first improvement, until none helps."""
    cost = problem.cost(order)
    n = len(order)
    for _ in range(MAX_PASSES):
        improved = False
        for i in range(n - 1):
            for j in range(i + 1, n):
                candidate = order[:i] + order[i : j + 1][::-1] + order[j + 1 :]
                new = problem.improves(candidate, cost)
                if new is not None:
                    order, cost, improved = candidate, new, True
        for i in range(n):
            rest = order[:i] + order[i + 1 :]
            for at in range(n):
                if at == i:
                    continue
                candidate = rest[:at] + [order[i]] + rest[at:]
                new = problem.improves(candidate, cost)
                if new is not None:
                    order, cost, improved = candidate, new, True
                    break
        if not improved:
            break
    return order


def _closes(stop: Stop) -> float:
    return math.inf if stop.closes is None else stop.closes


def _opens(stop: Stop) -> float:
    return -math.inf if stop.opens is None else stop.opens


def booked_order(stops: Sequence[Stop]) -> list[int]:
    """The order the bookings came in, put in window order: what a postman does unaided."""
    return sorted(range(len(stops)), key=lambda i: (_opens(stops[i]), i))


def plan_route(
    start: tuple[float, float], stops: Sequence[Stop], *, depart: float | None = None
) -> Route:
    """Order `stops` from the post office at `start`, leaving at `depart` (minutes after
    midnight; by default when the first window opens). Stops without a position come
    last, in the order given, flagged."""
    located = [s for s in stops if s.located]
    unlocated = [s for s in stops if not s.located]
    if depart is None:
        opens = [s.opens for s in located if s.opens is not None]
        depart = min(opens) if opens else 0.0
    problem = _Problem(start, located, depart)
    baseline = booked_order(located)
    best = baseline
    best_cost = problem.cost(baseline)
    for seed in (_insertion(problem, range(len(located))), baseline):
        candidate = _improve(problem, list(seed))
        cost = problem.cost(candidate)
        if _better(cost, best_cost):
            best, best_cost = candidate, cost
    planned = [
        PlannedStop(stop=located[i], arrival=arrival, late=late, unlocated=False)
        for i, (arrival, late) in zip(best, problem.arrivals(best), strict=True)
    ]
    planned += [PlannedStop(stop=s, arrival=None, late=False, unlocated=True) for s in unlocated]
    return Route(
        stops=tuple(planned),
        distance_km=problem.length(best),
        booked_distance_km=problem.length(baseline),
    )


def follow(
    start: tuple[float, float], stops: Sequence[Stop], order: Sequence[str], *, depart: float
) -> Route:
    """The route through `stops` in the order of their keys in `order` (a plan made
    earlier), with arrivals from `depart`: what a kept plan looks like at a later moment.
    Stops without a position come last, as `plan_route` puts them. ValueError when
    `order` does not name exactly the located stops."""
    located = [s for s in stops if s.located]
    unlocated = [s for s in stops if not s.located]
    index = {s.key: i for i, s in enumerate(located)}
    if len(order) != len(located) or set(order) != set(index):
        raise ValueError("the order does not name the located stops")
    problem = _Problem(start, located, depart)
    chosen = [index[key] for key in order]
    planned = [
        PlannedStop(stop=located[i], arrival=arrival, late=late, unlocated=False)
        for i, (arrival, late) in zip(chosen, problem.arrivals(chosen), strict=True)
    ]
    planned += [PlannedStop(stop=s, arrival=None, late=False, unlocated=True) for s in unlocated]
    return Route(
        stops=tuple(planned),
        distance_km=problem.length(chosen),
        booked_distance_km=problem.length(booked_order(located)),
    )
