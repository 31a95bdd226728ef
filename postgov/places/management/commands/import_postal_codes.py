from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from postgov.places.postal_codes import PostalCodeImportError, import_postal_codes


class Command(BaseCommand):
    help = (
        "Import a CSV of postal codes as a new set and make it current "
        "(columns: code,name,kind,province_code,commune_code,latitude,longitude)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--name", help="name of the set (default: the file name)")
        parser.add_argument(
            "--valid-from", default=date.today().isoformat(), help="YYYY-MM-DD (default: today)"
        )
        parser.add_argument("--source", default="", help="where the codes come from")
        parser.add_argument("--demo", action="store_true", help="flag the set as demo data")

    def handle(self, *args, file: Path, name, valid_from, source, demo, **options):
        if not file.is_file():
            raise CommandError(_("No such file: %(file)s") % {"file": file})
        try:
            code_set = import_postal_codes(
                file, name or file.stem, valid_from, source=source, is_demo=demo
            )
        except PostalCodeImportError as exc:
            raise CommandError(_("File rejected:") + f"\n{exc}") from None
        self.stdout.write(
            f"{code_set.codes.count()} postal codes imported as “{code_set}”, now current."
        )
