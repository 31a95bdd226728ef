from django.core.management.base import BaseCommand

from postgov.places.loading import load_admin_units


class Command(BaseCommand):
    help = (
        "Load or refresh the 34 provinces, 3,321 communes, the legacy units and the old → new "
        "mapping from the vietnamadminunits package (idempotent)."
    )

    def handle(self, *args, **options):
        report = load_admin_units()
        self.stdout.write(report.summary())
        for key in report.unmapped:
            self.stderr.write(f"no successor: {key}")
