"""Each request gets an id (from the proxy when it sent a well-formed one), is counted and
timed by route name, and leaves one log line — with the route's name, never its path, query
string or body, which may carry what a citizen typed."""

from __future__ import annotations

import logging
import re
import time
import uuid

from postgov.ops import metrics
from postgov.ops.logs import request_id

HEADER = "X-Request-ID"
# nginx's $request_id (32 hex digits), a UUID, or any other plain token of that size; anything
# else (too long, spaces, control characters: log injection) is replaced.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

logger = logging.getLogger("postgov.request")


class RequestObservationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "")
        rid = given if WELL_FORMED.fullmatch(given) else uuid.uuid4().hex
        request.request_id = rid
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            route = route_name(request)
            method = request.method if request.method in METHODS else "other"
            metrics.observe_request(route, method, response.status_code, elapsed)
            logger.info(
                "%s %s %s",
                method,
                route,
                response.status_code,
                extra={
                    "route": route,
                    "method": method,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            response[HEADER] = rid
            return response
        finally:
            request_id.reset(token)


def route_name(request) -> str:
    """The URL pattern's name (namespace:name): a bounded set of values, unlike paths."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or "unnamed"
