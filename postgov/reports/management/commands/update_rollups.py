"""Roll up yesterday and today (see docs/operations.md for the cron line). Thin: it calls
postgov.reports.rollups.update_recent."""

from django.core.management.base import BaseCommand

from postgov.reports.rollups import update_recent
from postgov.reports.tasks import update_rollups_task


class Command(BaseCommand):
    help = "Recompute the daily roll-ups of yesterday and today."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="queue it for a worker instead of running here"
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            result = update_rollups_task.enqueue()
            self.stdout.write(f"queued {result.id}")
            return
        for day in update_recent():
            self.stdout.write(f"{day.day}: {day.volume_rows} volume rows, {day.leg_rows} leg rows")
