from django.core.management.base import BaseCommand

from postgov.places.loading import load_admin_units


class Command(BaseCommand):
    help = (
        "Load or refresh the 34 provinces, 3,321 communes, the legacy units and the old → new "
        "mapping from the vietnamadminunits package (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="compare every row even if already loaded"
        )

    def handle(self, *args, force=False, **options):
        report = load_admin_units(force=force)
        self.stdout.write(report.summary())
        for key in report.unmapped:
            self.stderr.write(f"no successor: {key}")
