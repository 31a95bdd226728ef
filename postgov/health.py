"""Liveness and readiness endpoints for load balancers and the CI smoke test."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    _migrations_seen_applied = True
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
        return JsonResponse(
            {"status": "unavailable", "reason": f"database unreachable: {exc.__class__.__name__}"},
            status=503,
        )
    if pending:
        return JsonResponse(
            {"status": "unavailable", "reason": f"{len(pending)} migration(s) not applied"},
            status=503,
        )
    _migrations_seen_applied = True
    return JsonResponse({"status": "ok"})
