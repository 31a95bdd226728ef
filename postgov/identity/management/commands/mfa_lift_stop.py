from django.core.management.base import BaseCommand, CommandError

from postgov.identity.mfa_attempts import lift_stop
from postgov.identity.models import User


class Command(BaseCommand):
    help = (
        "Let an account give second factors again at once, after too many wrong ones "
        "stopped them (once its holder was reached)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        if lift_stop(user):
            self.stdout.write(f"{username}: second factors accepted again.")
        else:
            self.stdout.write(f"{username}: nothing to lift.")
