from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from postgov.lib.online_partitions import LOGS, convert_online, drop_old
from postgov.lib.partitions import PartitionError


class Command(BaseCommand):
    help = (
        "Partition one of the logs by month while it keeps taking writes (PostgreSQL): run it "
        "with the new version while the old one serves, before `migrate`. Resumes where an "
        "earlier run stopped. --drop-old then drops the plain table kept after the swap."
    )

    def add_arguments(self, parser):
        parser.add_argument("table", help=f"one of: {', '.join(sorted(LOGS))}")
        parser.add_argument("--batch", type=int, default=50_000, help="ids copied per transaction")
        parser.add_argument("--lock-timeout", default="2s", help="longest wait for the swap's lock")
        parser.add_argument(
            "--drop-old", action="store_true", help="drop <table>__plain_old after the swap"
        )

    def handle(self, *args, table, batch, lock_timeout, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        try:
            if options["drop_old"]:
                dropped = drop_old(connection, table)
                self.stdout.write(
                    f"{table}: old plain table {'dropped' if dropped else 'already gone'}"
                )
                return
            convert_online(
                connection,
                table,
                batch=batch,
                lock_timeout=lock_timeout,
                progress=self.stdout.write,
            )
        except PartitionError as error:
            raise CommandError(str(error)) from error
