"""Reads that tolerate a lag go to a read replica.

With `DATABASE_REPLICA_URL` set, settings add a `replica` database: a streaming standby of
the primary. The report pages named in `REPLICA_READ_VIEWS` (dashboards, volumes, figures,
their exports) read the models of `REPLICA_READ_APPS` there, a few seconds behind the
primary at most, so that a national dashboard's aggregates do not take CPU from counters
sealing dossiers. Everything else reads and writes on the primary: sign-in, sessions, the
audit trail, any read inside a transaction, and the roll-up writer, which runs outside a
request. Without a replica every read stays on the primary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
_lagging_reads: ContextVar[bool] = ContextVar("lagging_reads", default=False)


def has_replica() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def lagging_reads() -> Iterator[None]:
    """Within the block, reads of the replica's apps may go to the replica."""
    token = _lagging_reads.set(True)
    try:
        yield
    finally:
        _lagging_reads.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if not (_lagging_reads.get() and has_replica()):
            return None
        if model._meta.app_label not in settings.REPLICA_READ_APPS:  # type: ignore[attr-defined]
            return None
        # Inside a transaction the reads belong with its writes, on the primary.
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # The replica is the primary's copy: its rows are the same rows.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA


class ReplicaReadsMiddleware:
    """Turns on lagging reads for the GET and HEAD requests of the views named in
    `REPLICA_READ_VIEWS`, for the whole response, templates included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            # Set by process_view for this request only; never carried to the next one
            # this thread serves.
            _lagging_reads.set(False)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> None:
        match = request.resolver_match
        if (
            has_replica()
            and request.method in ("GET", "HEAD")
            and match is not None
            and match.view_name in settings.REPLICA_READ_VIEWS
        ):
            _lagging_reads.set(True)
