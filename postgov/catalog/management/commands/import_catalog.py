from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from postgov.catalog.actions import CatalogImportRejected, import_catalog_file
from postgov.catalog.exchange import detect_format, read_catalog
from postgov.catalog.import_plan import plan_import


class Command(BaseCommand):
    help = (
        "Import a catalog file (JSON or CSV, see docs/catalog-format.md). The whole file is "
        "checked first; on any problem nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["json", "csv"], help="default: from the name")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and say what would change, write nothing"
        )

    def handle(self, *args, file: Path, format=None, dry_run=False, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        file_format = format or detect_format(file.name, data)
        if file_format is None:
            raise CommandError("Unknown format: use --format json or --format csv.")
        try:
            if dry_run:
                result = read_catalog(data, file_format)
                if result.problems:
                    raise CatalogImportRejected(result.problems.items, result.problems.total)
                plan = plan_import(result.specs, timezone.localdate())
                if plan.problems:
                    raise CatalogImportRejected(plan.problems)
            else:
                plan = import_catalog_file(data, file_format, source=f"command {file.name}")
        except CatalogImportRejected as rejected:
            for problem in rejected.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{rejected.total} problem(s): nothing was imported.") from rejected
        counts = plan.counts()
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb}: {counts['procedures']} procedures — {counts['new']} new, "
            f"{counts['changed']} changed, {counts['unchanged']} unchanged; "
            f"{counts['new_versions']} new versions."
        )
