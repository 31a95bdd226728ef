"""Rebuild the daily roll-ups from the event log, day by day (each day in its own
transaction, so an interrupted rebuild can be run again from where it stopped)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from postgov.reports.rollups import rebuild


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from error


class Command(BaseCommand):
    help = "Rebuild the daily roll-ups from the event log (default: first event to today)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", type=_day, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", type=_day, help="last day, YYYY-MM-DD")

    def handle(self, *args, date_from=None, date_to=None, **options):
        if date_from and date_to and date_to < date_from:
            raise CommandError("--to is before --from")
        results = rebuild(date_from, date_to)
        self.stdout.write(
            f"{len(results)} day(s), {sum(r.volume_rows for r in results)} volume rows, "
            f"{sum(r.leg_rows for r in results)} leg rows, "
            f"{sum(r.other_rows for r in results)} other rows"
        )
