from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from postgov.ops.actions import record_backup
from postgov.ops.backups import BackupError, make_backup


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump -Fc; SQLite: the online backup API) and "
        "the uploaded files into a new directory with a manifest (rows per table, SHA-256 "
        "of each part)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            type=Path,
            required=True,
            metavar="DIR",
            help="where to write the backup: a new directory postgov-<UTC time> is made in it",
        )

    def handle(self, *args, output, **options):
        try:
            directory, manifest = make_backup(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        record_backup(directory.name, manifest)
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {directory}: {len(manifest['tables'])} tables, {rows} rows, "
                f"{manifest['media_files']} uploaded files."
            )
        )
