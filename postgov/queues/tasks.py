"""The appointments' scheduled work as django-tasks tasks, queued by `manage.py
queue_appointments --enqueue` from cron (docs/operations.md) or run inline without it."""

from __future__ import annotations

from django_tasks import task

from postgov.queues import actions


@task(queue_name="notify")
def send_reminders_task() -> int:
    return actions.send_reminders()


@task()
def mark_missed_task() -> int:
    return actions.mark_missed_appointments()
