"""Scheduled work as django-tasks tasks: the SLA check (`manage.py check_sla --enqueue` from
cron, or inline by `manage.py check_sla`) and the daily roll-ups of yesterday and today
(`manage.py update_rollups --enqueue`, or inline without the flag)."""

from __future__ import annotations

from django_tasks import task

from postgov.reports.rollups import update_recent
from postgov.reports.sla import check_sla


@task()
def check_sla_task() -> dict:
    summary = check_sla()
    return {
        "due_soon": summary.due_soon,
        "overdue": summary.overdue,
        "notified": summary.notified,
        **summary.housekeeping,
    }


@task()
def update_rollups_task() -> list[dict]:
    return [
        {"day": result.day.isoformat(), "volumes": result.volume_rows, "legs": result.leg_rows}
        for result in update_recent()
    ]
