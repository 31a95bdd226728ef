from django.core.management.base import BaseCommand, CommandError

from postgov.audit.actions import verify_chain


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain; exit non-zero on any edited, inserted or deleted row."
    )

    def handle(self, *args, **options):
        checked, problems = verify_chain()
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(
                f"Audit chain broken: {len(problems)} problem(s) in {checked} events."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events."))
