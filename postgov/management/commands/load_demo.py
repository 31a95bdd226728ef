from django.core.management.base import BaseCommand

from postgov.demo import load_demo


class Command(BaseCommand):
    help = "Load the Quảng Trị demo data (idempotent: running it twice changes nothing)."

    def handle(self, *args, **options):
        load_demo(log=self.stdout.write)
