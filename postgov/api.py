"""The JSON API: one django-ninja instance, one router per app, errors as RFC 9457
problem details (application/problem+json)."""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.throttling import BaseThrottle

from postgov.agencies.api import router as agencies_router
from postgov.audit.actions import client_ip
from postgov.catalog.api import router as catalog_router
from postgov.dossiers.api import router as dossiers_router
from postgov.dossiers.api import track_router
from postgov.exchange.integration_api import router as agency_integration_router
from postgov.exchange.orders_api import router as agency_orders_router
from postgov.lib.netkeys import network_key
from postgov.lib.problems import PROBLEM_JSON, problem
from postgov.lib.ratelimit import hit
from postgov.ops.unavailable import is_database_unavailable, unavailable_response
from postgov.places.api import router as places_router

logger = logging.getLogger(__name__)


def _caller(request: HttpRequest) -> str:
    """Who is calling, for rate limits: the API credential's identity, the logged-in user,
    else the client address (an IPv6 /64 as one)."""
    auth = getattr(request, "auth", None)
    throttle_key = getattr(auth, "throttle_key", None)
    if throttle_key:
        return throttle_key
    if auth is not None and getattr(auth, "pk", None) is not None:
        return f"{auth._meta.label_lower}:{auth.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"addr:{network_key(client_ip(request))}"


class AddressThrottle(BaseThrottle):
    """A fixed-window limit per caller (API credential when there is one, else the client
    address), counted in the shared cache. Unlike ninja's own throttles it keeps no
    per-request state on the instance, so it is safe under threaded workers."""

    def __init__(self, scope: str, limit: int, window_seconds: int = 60):
        self.scope, self.limit, self.window = scope, limit, window_seconds

    def allow_request(self, request: HttpRequest) -> bool:
        return hit(f"api:{self.scope}", _caller(request), self.limit, self.window)

    def wait(self) -> float:
        return float(self.window)


api = NinjaAPI(
    title="PostGov API",
    version="1",
    description=(
        "Dossier tracking, reference data and the agency integration API of PostGov. "
        "Errors are RFC 9457 problem details."
    ),
    urls_namespace="api",
    # Public reference data is cheap but not free: one address may not hammer it. Counts
    # live in the shared cache, so every web process sees the same numbers.
    throttle=[AddressThrottle("default", limit=600)],
)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    errors = [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": str(err.get("msg", ""))}
        for err in exc.errors
    ]
    return problem(request, 422, _("The request is not valid."), errors=errors)


@api.exception_handler(Throttled)
def _throttled(request, exc: Throttled):
    response = problem(request, 429, _("Too many requests, try later."))
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait))
    return response


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return problem(request, exc.status_code, str(exc.message))


@api.exception_handler(AuthenticationError)
def _authentication_error(request, exc):
    return problem(request, 401, _("Authentication required."))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem(request, 404, _("Not found."))


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
@api.exception_handler(MultiPartParserError)
def _unreadable(request, exc):
    # Django refuses to read a request it cannot read safely (more parameters than
    # DATA_UPLOAD_MAX_NUMBER_FIELDS, a body too big, a form in another charset, a
    # multipart body it cannot parse): the client's fault, not a server error.
    return problem(request, 400, _("The request could not be read."))


@api.exception_handler(Exception)
def _unexpected(request, exc):
    if is_database_unavailable(exc):
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        return unavailable_response(request)
    logger.exception("Unhandled API error on %s", request.path)
    return problem(request, 500, _("Internal error."))


api.add_router("/v1/places/", places_router)
api.add_router("/v1/catalog/", catalog_router)
api.add_router("/v1/agencies/", agencies_router)
api.add_router("/v1/agency/", agency_integration_router)
api.add_router("/v1/agency/", agency_orders_router)
api.add_router("/v1/track/", track_router)
api.add_router("/v1/dossiers/", dossiers_router)


class ProblemDetailsMiddleware:
    """Errors Django answers itself under /api/ (unknown path, method not allowed...) come
    back as problem details too, so an API client only ever parses one error format."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith((PROBLEM_JSON, "application/json"))
        ):
            allow = response.get("Allow")
            detail = {
                404: _("Not found."),
                405: _("Method not allowed."),
            }.get(response.status_code, HTTPStatus(response.status_code).phrase)
            response = problem(request, response.status_code, detail)
            if allow:
                response["Allow"] = allow
        return response
