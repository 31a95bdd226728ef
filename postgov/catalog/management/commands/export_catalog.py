from pathlib import Path

from django.core.management.base import BaseCommand

from postgov.catalog.exchange import export_csv, export_json


class Command(BaseCommand):
    help = (
        "Export the catalog: JSON (every procedure with its whole version history) or CSV "
        "(the versions in force and upcoming, one row per document or fee)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--output", "-o", type=Path, help="a file (default: standard output)")

    def handle(self, *args, format="json", output=None, **options):
        data = export_json() if format == "json" else export_csv()
        if output is not None:
            output.write_bytes(data)
            self.stderr.write(f"Wrote {len(data):,} bytes to {output}")
        else:
            self.stdout.write(data.decode("utf-8"), ending="")
