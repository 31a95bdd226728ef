from django.core.management.base import BaseCommand

from postgov.audit.actions import record
from postgov.identity.oidc.keys import rotate_signing_key


class Command(BaseCommand):
    help = "Make a new ID-token signing key; the old one stays published until its tokens expire."

    def handle(self, *args, **options):
        key = rotate_signing_key()
        record(
            "oidc.key_rotated",
            object_type="identity.signingkey",
            object_id=key.pk,
            details={"kid": key.kid},
        )
        self.stdout.write(f"New active signing key: {key.kid}")
