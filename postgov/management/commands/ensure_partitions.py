from django.core.management.base import BaseCommand
from django.db import connection

from postgov.lib.partitions import MONTHS_AHEAD, ensure_partitions


class Command(BaseCommand):
    help = (
        "Make the monthly partitions of the event log and the audit trail for this month and "
        "the coming ones (PostgreSQL; nothing to do on SQLite). Safe to run any number of times."
    )

    def add_arguments(self, parser):
        parser.add_argument("--months-ahead", type=int, default=MONTHS_AHEAD)

    def handle(self, *args, **options):
        made = ensure_partitions(connection, months_ahead=options["months_ahead"])
        for item in made:
            self.stdout.write(f"{item.partition}: made, {item.rows_moved} rows moved in")
        self.stdout.write(f"partitions made: {len(made)}")
