"""Remind tomorrow's appointments by SMS and mark the missed ones (cron: every 15
minutes; see docs/operations.md). Thin: it calls postgov.queues.actions."""

from django.core.management.base import BaseCommand

from postgov.queues import actions
from postgov.queues.tasks import mark_missed_task, send_reminders_task


class Command(BaseCommand):
    help = "Send tomorrow's appointment reminders and mark appointments nobody came to."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="queue it for a worker instead of running here"
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            reminders = send_reminders_task.enqueue()
            missed = mark_missed_task.enqueue()
            self.stdout.write(f"queued {reminders.id} {missed.id}")
            return
        sent = actions.send_reminders()
        missed_count = actions.mark_missed_appointments()
        self.stdout.write(f"reminders sent: {sent}, appointments missed: {missed_count}")
