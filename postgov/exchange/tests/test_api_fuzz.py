"""The agency API against its own OpenAPI document with schemathesis: whatever the input,
the answer is never a server error (and errors are problem+json).

schemathesis is a test-only dependency (pin: schemathesis==4.32.5); without it this module
is skipped with that reason, except under CI where its absence is a failure.
"""

from __future__ import annotations

import os

import pytest

try:
    import schemathesis
    from hypothesis import HealthCheck, settings
    from schemathesis.checks import not_a_server_error
except ImportError:  # pragma: no cover - depends on the environment
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip(
        "schemathesis is not installed (pip install schemathesis==4.32.5)",
        allow_module_level=True,
    )

from django.core.wsgi import get_wsgi_application

from postgov.exchange.integration import create_api_key
from tests.agency_helpers import handed_over

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application()).include(
    path_regex="^/api/v1/agency/"
)
FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the real WSGI handler, which closes the database connection
    when a request finishes; Django's own test client disconnects that, so do we (else
    the test's transaction is lost on PostgreSQL)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(world):
    return create_api_key(world.agency_a, "fuzz")[1]


def check(case, response):
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", "")
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/problem+json"), (
            response.status_code,
            response.text[:200],
        )


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_no_server_error_on_any_input(case, api_key):
    check(case, case.call(headers={"X-API-Key": api_key}))


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_no_server_error_on_a_real_dossier(case, world, api_key):
    """The same, with the path pointing at a dossier that exists, so that bodies reach the
    workflow (and the state moves on as examples accept, refuse, supplement...)."""
    if case.path_parameters and "code" in case.path_parameters:
        code = getattr(test_no_server_error_on_a_real_dossier, "_code", None)
        if code is None or not world.agency_a.dossiers.filter(code=code).exists():
            code = handed_over(world).code
            test_no_server_error_on_a_real_dossier._code = code
        case.path_parameters["code"] = code
    check(case, case.call(headers={"X-API-Key": api_key}))
