from django.core.management.base import BaseCommand, CommandError

from postgov.demo import DemoRefused
from postgov.identity.demo import demo_logins_text


class Command(BaseCommand):
    help = "Print the demo logins for each role."

    def handle(self, *args, **options):
        try:
            self.stdout.write(demo_logins_text())
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
