from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from postgov.ops.actions import record_restore
from postgov.ops.backups import BackupError, read_manifest, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into an empty database and MEDIA_ROOT, "
        "then check every table's row count against its manifest and verify the audit chain. "
        "Exits non-zero on any difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="the backup's directory (postgov-…)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace what the database and MEDIA_ROOT already hold (everything in them "
            "is lost)",
        )

    def handle(self, *args, backup, force, **options):
        try:
            report = restore_backup(backup, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        for problem in report.problems:
            self.stderr.write(problem)
        if report.problems:
            raise CommandError(
                f"Restored, but {len(report.problems)} check(s) failed: do not use this "
                "database before the differences are understood."
            )
        record_restore(backup.name, read_manifest(backup), tables=report.tables, rows=report.rows)
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {report.tables} tables ({report.rows} rows, as in the manifest) and "
                f"{report.media_files} uploaded files; audit chain intact "
                f"({report.audit_events} events)."
            )
        )
