"""The scheduled SLA check as a django-tasks task (enqueued by `manage.py check_sla
--enqueue` from cron, or run inline by `manage.py check_sla`)."""

from __future__ import annotations

from django_tasks import task

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
