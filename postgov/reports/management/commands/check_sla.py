"""Flag legs due within one working day or overdue and notify (see docs/operations.md
for the cron line). Thin: it calls postgov.reports.sla.check_sla."""

from django.core.management.base import BaseCommand

from postgov.reports.sla import check_sla
from postgov.reports.tasks import check_sla_task


class Command(BaseCommand):
    help = "Flag dossiers due within one working day and overdue ones, per leg; notify."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="queue it for a worker instead of running here"
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            result = check_sla_task.enqueue()
            self.stdout.write(f"queued {result.id}")
            return
        summary = check_sla()
        self.stdout.write(
            f"due soon: {summary.due_soon}, overdue: {summary.overdue}, "
            f"people notified: {summary.notified}, {summary.housekeeping}"
        )
