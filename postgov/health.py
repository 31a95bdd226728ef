"""Liveness and readiness endpoints for load balancers and the CI smoke test."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from postgov.ops.unavailable import RETRY_AFTER


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


_migrations_seen_applied = False


@never_cache
@require_GET
def readyz(request):
    # Once a process has seen every migration applied it only re-checks the connection:
    # building the migration graph on every probe would cost more than the probe is worth.
    global _migrations_seen_applied
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pending = []
        if not _migrations_seen_applied:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return _not_ready(f"database unreachable: {exc.__class__.__name__}")
    if pending:
        return _not_ready(f"{len(pending)} migration(s) not applied")
    _migrations_seen_applied = True
    return JsonResponse({"status": "ok"})


def _not_ready(reason: str) -> JsonResponse:
    response = JsonResponse({"status": "unavailable", "reason": reason}, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response
