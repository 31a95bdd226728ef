"""While the database cannot be reached (restarted, failed over, out of connections), every
request is answered 503 Service Unavailable with a Retry-After, in the request's language:
a short page, or problem details under /api/. Never a server error and never a traceback:
the client did nothing wrong and trying again shortly will work.

Three places see the error, because Django turns an exception into a response at every
layer: `DatabaseUnavailableMiddleware` for views (whatever DEBUG says), the API's
exception handler (`postgov/api.py`) for the JSON API's views, and the server-error view
(`postgov/error_pages.py`) for what fails in a middleware (the session read, the access
object). Each asks `is_database_unavailable` and answers with `unavailable_response`.

Nothing is lost by the refusal: a request that failed this way changed nothing (its
transaction never committed), and a retried intake or order carries its own key (the
intake's token, the order's Idempotency-Key), so sending it again cannot make it twice.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from postgov.lib.problems import problem

logger = logging.getLogger(__name__)

# Seconds a client should wait: a restart or a fail-over takes about this long.
RETRY_AFTER = 5
# PostgreSQL's SQLSTATEs of a server that is not there for us now: connection exceptions
# (class 08), insufficient resources (53: too many connections, disk full), and a server
# shutting down, crashed or still starting (57P01-57P03). Deadlocks and other errors of
# one statement stay server errors: they are bugs to fix, not outages to wait out.
UNAVAILABLE_STATES = ("08", "53", "57P01", "57P02", "57P03")
# SQLite's: the file cannot be opened, or another process holds the write lock too long.
SQLITE_UNAVAILABLE = ("unable to open database file", "database is locked")


def is_database_unavailable(exc: BaseException | None) -> bool:
    if isinstance(exc, InterfaceError):
        return True  # the connection is closed or broken
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if cause is not None and type(cause).__module__.startswith("psycopg"):
        # No SQLSTATE: the client library's own failure (refused, reset, server gone).
        return sqlstate is None or str(sqlstate).startswith(UNAVAILABLE_STATES)
    return any(text in str(exc) for text in SQLITE_UNAVAILABLE)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 answer, rendered without the database (no session, no user, no context
    processors): the language comes from the request itself (the URL prefix, the language
    cookie, Accept-Language), else the site's default."""
    try:
        language = translation.get_language_from_request(request, check_path=True)
    except Exception:  # a request too broken to read: the default language
        language = None
    with translation.override(language or "vi"):
        detail = _("The service is briefly unavailable. Please try again in a few seconds.")
        if request.path.startswith("/api/"):
            response = problem(request, 503, detail)
        else:
            html = loader.get_template("ops/unavailable.html").render(
                {"LANGUAGE_CODE": translation.get_language(), "detail": detail}
            )
            response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    """Answers a view that failed for want of the database with the 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        # One line, without the error's text: it may name the server and its user.
        logger.warning("database unavailable: %s", exception.__class__.__name__)
        return unavailable_response(request)
