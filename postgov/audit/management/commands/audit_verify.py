from django.core.management.base import BaseCommand, CommandError

from postgov.audit.actions import unkeyed_events, verify_chain


class Command(BaseCommand):
    help = (
        "Verify the audit trail's keyed hash chain; exit non-zero on any edited, inserted or "
        "deleted row, and on rows recomputed by someone without the chain's key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--keyed-from",
            type=int,
            metavar="SEQ",
            help=(
                "every event from this sequence number on must be chained with a key: the "
                "first keyed event, as reported by this command once (1 for an installation "
                "that had a key from the start)"
            ),
        )

    def handle(self, *args, keyed_from=None, **options):
        checked, problems = verify_chain(keyed_from=keyed_from)
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(
                f"Audit chain broken: {len(problems)} problem(s) in {checked} events."
            )
        count, last = unkeyed_events()
        if count:
            self.stdout.write(
                f"Events 1 to {last} were chained before the chain had a key (plain SHA-256); "
                f"the first keyed event is #{last + 1}: pass --keyed-from {last + 1} from now on."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events."))
