from django.core.management.base import BaseCommand

from postgov.lib import refcache


class Command(BaseCommand):
    help = (
        "Tell every web and worker process to read the reference data (catalog, tariffs, "
        "competence, calendars, places) again: after changing them outside PostGov, e.g. by SQL."
    )

    def handle(self, *args, **options):
        refcache.invalidate()
        self.stdout.write(
            self.style.SUCCESS("Reference data will be read again (within a second everywhere).")
        )
