from django.core.management.base import BaseCommand

from postgov.identity.demo import demo_logins_text


class Command(BaseCommand):
    help = "Print the demo logins for each role."

    def handle(self, *args, **options):
        self.stdout.write(demo_logins_text())
