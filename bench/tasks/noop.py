"""The bare task of the task-worker benchmark: it does nothing, so what it costs is the
worker's own work (claiming the row, django-tasks' bookkeeping)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="notify")
def nothing(n: int) -> None:
    return None
