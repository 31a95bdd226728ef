"""Check an export's ZIP against its manifest: each file's SHA-256, no file added or
missing, and the list of records against its hash. Exits non-zero when anything differs,
so the receiving side can script it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from postgov.registers import exports


class Command(BaseCommand):
    help = "Check a register export's ZIP against its manifest.json."

    def add_arguments(self, parser):
        parser.add_argument("zip", help="path of the export's ZIP file")

    def handle(self, *args, zip, **options):
        try:
            handle = open(zip, "rb")  # noqa: SIM115 - closed below, after the check
        except OSError as exc:
            raise CommandError(f"Cannot open {zip}: {exc.strerror}") from None
        with handle:
            problems = exports.verify(handle)
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write("The export checks out: every file matches its SHA-256.")
