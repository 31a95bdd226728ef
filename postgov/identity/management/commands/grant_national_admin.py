from django.core.management.base import BaseCommand, CommandError

from postgov.identity.actions import grant_national_admin_from_console
from postgov.identity.models import User


class Command(BaseCommand):
    help = (
        "Give an existing account the national administrator role (audited). For the first "
        "national administrators: later grants go through the admin and a second approval."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        grant_national_admin_from_console(user)
        self.stdout.write(
            f"{username} is a national administrator. They must enrol a second factor at "
            "their next login."
        )
