"""The WSGI entry point answers requests Django refuses before its middleware runs."""

from __future__ import annotations

from wsgiref.util import setup_testing_defaults

import pytest
from django.core import signals
from django.db import close_old_connections


@pytest.fixture(autouse=True)
def _leave_the_database_alone():
    """The handler closes stale database connections at each request; this test has no
    database, and must not touch the connection another test left open."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _call(**environ) -> str:
    from postgov.wsgi import application

    setup_testing_defaults(environ)
    statuses: list[str] = []
    application(environ, lambda status, headers: statuses.append(status))
    return statuses[0]


def test_too_many_query_parameters_with_a_charset_is_a_bad_request():
    # A Content-Type with a charset makes Django parse the query string while it builds
    # the request, where TooManyFieldsSent is not turned into a response yet.
    status = _call(QUERY_STRING="&".join(["a=1"] * 1001), CONTENT_TYPE="text/plain; charset=utf-8")
    assert status == "400 Bad Request"
