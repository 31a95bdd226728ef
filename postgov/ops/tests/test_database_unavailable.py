"""While the database cannot be reached every request is answered 503 with a Retry-After, in
the request's language (a page, or problem details under /api/), never a server error; once
it is back the same process answers again. The outage here is real: the process's
connection is pointed at a port where nothing listens."""

from __future__ import annotations

import socket
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError, connection
from django.test import Client

from postgov.ops.unavailable import RETRY_AFTER, is_database_unavailable
from tests.clients import PostGovClient

# A public page whose view reads the database, and a staff page whose session is read in a
# middleware, before any view.
PAGES = {"anonymous": ["/catalog/"], "staff": ["/catalog/", "/dossiers/today/"]}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database_down():
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_every_request_is_answered_503_while_the_database_is_down(world):
    staff = PostGovClient(raise_request_exception=False)
    staff.force_login(world.clerk_a)
    anonymous = Client(raise_request_exception=False)
    with database_down():
        for who, client in (("anonymous", anonymous), ("staff", staff)):
            for path in PAGES[who]:
                response = client.get(path, HTTP_ACCEPT_LANGUAGE="vi")
                assert response.status_code == 503, path
                assert response["Retry-After"] == str(RETRY_AFTER)
                assert "no-store" in response["Cache-Control"]
                page = response.content.decode()
                assert "Tạm thời gián đoạn" in page and "Traceback" not in page
            response = client.get("/api/v1/track/RR000000001VN", HTTP_ACCEPT_LANGUAGE="en")
            assert response.status_code == 503
            assert response["Content-Type"] == "application/problem+json"
            assert response["Retry-After"] == str(RETRY_AFTER)
            assert "try again" in response.json()["detail"]
        english = anonymous.get("/catalog/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Briefly unavailable" in english and "Tạm thời" not in english
        response = anonymous.get("/readyz")
        assert response.status_code == 503 and "database" in response.json()["reason"]
        assert anonymous.get("/healthz").status_code == 200  # the process itself is alive
    # Back: the same process answers again, with a new connection.
    assert anonymous.get("/readyz").status_code == 200
    assert staff.get("/dossiers/today/").status_code == 200


def test_only_an_unreachable_database_is_an_outage():
    def wrapped(cause: Exception) -> OperationalError:
        error = OperationalError(str(cause))
        error.__cause__ = cause
        return error

    import psycopg

    assert is_database_unavailable(wrapped(psycopg.OperationalError("connection refused")))
    assert is_database_unavailable(InterfaceError("connection already closed"))
    assert is_database_unavailable(OperationalError("database is locked"))
    assert is_database_unavailable(wrapped(psycopg.errors.AdminShutdown("terminating")))
    assert is_database_unavailable(wrapped(psycopg.errors.TooManyConnections("too many")))
    # One statement's failure is a bug to fix, not an outage to wait out.
    assert not is_database_unavailable(wrapped(psycopg.errors.DeadlockDetected("deadlock")))
    assert not is_database_unavailable(OperationalError("no such table: dossiers_dossier"))
    assert not is_database_unavailable(IntegrityError("duplicate key"))
    assert not is_database_unavailable(None)
