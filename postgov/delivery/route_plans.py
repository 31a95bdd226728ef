"""The postman's planned route, kept in Django's cache so that a page reloaded without a
change does not plan again (sixty stops take about a second to plan).

The key is a fingerprint of everything the order depends on: the day, the start, each
stop's key, position and window, and the departure rounded down to a slot. A stop added,
moved, collected or failed changes the fingerprint, and the next load plans again. Only
the order is kept: arrivals are worked out again from the real departure at each load,
which is cheap."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence

from django.core.cache import cache

from postgov.delivery.routing import Route, Stop, follow, plan_route

# Within a slot the plan made at its start is kept; a postman leaving later than that
# gets a plan from the new slot's start (the order can change as windows close).
SLOT_MINUTES = 15
# Long enough for a working day; the day is in the key, so nothing outlives its use.
TIMEOUT_SECONDS = 18 * 3600
PREFIX = "route-plan:"


def fingerprint(
    start: tuple[float, float], stops: Sequence[Stop], *, depart: float, day: dt.date
) -> str:
    slot = int(depart // SLOT_MINUTES)
    payload = json.dumps(
        [
            day.isoformat(),
            slot,
            [round(start[0], 7), round(start[1], 7)],
            [[s.key, s.lat, s.lon, s.opens, s.closes] for s in stops],
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def planned_route(
    start: tuple[float, float], stops: Sequence[Stop], *, depart: float, day: dt.date
) -> tuple[Route, bool]:
    """The route and whether it was planned now (False: the kept order was followed)."""
    key = PREFIX + fingerprint(start, stops, depart=depart, day=day)
    order = cache.get(key)
    if isinstance(order, list):
        try:
            return follow(start, stops, order, depart=depart), False
        except ValueError:
            pass  # a kept order that no longer fits (cannot happen with this key): plan
    route = plan_route(start, stops, depart=depart)
    cache.set(key, [p.stop.key for p in route.stops if not p.unlocated], timeout=TIMEOUT_SECONDS)
    return route, True
