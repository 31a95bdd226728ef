from django.core.management.base import BaseCommand, CommandError

from postgov.demo import DemoRefused, load_demo


class Command(BaseCommand):
    help = "Load the Quảng Trị demo data (idempotent: running it twice changes nothing)."

    def handle(self, *args, **options):
        try:
            load_demo(log=self.stdout.write)
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
