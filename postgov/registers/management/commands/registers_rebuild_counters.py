"""Work a digitisation project's agreement counters and operator days out again from its
keyings, decisions and re-keys, and store them in place of the running counts (after a
restore, or to check them)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from postgov.registers import stats
from postgov.registers.models import Project


class Command(BaseCommand):
    help = "Rebuild a project's stored agreement counters and operator days from its rows."

    def add_arguments(self, parser):
        parser.add_argument("project", type=int, nargs="*", help="project ids (default: all)")
        parser.add_argument(
            "--check", action="store_true", help="only say whether the stored counts are right"
        )

    def handle(self, *args, project, check, **options):
        projects = Project.objects.filter(pk__in=project) if project else Project.objects.all()
        if project and projects.count() != len(set(project)):
            raise CommandError("No such project.")
        wrong = 0
        for target in projects.order_by("pk"):
            if check:
                right = stats.recount(target) == stats.stored(target)
                wrong += not right
                self.stdout.write(f"{target.pk}: {'right' if right else 'WRONG'}")
            else:
                figures = stats.rebuild(target)
                self.stdout.write(
                    f"{target.pk}: {len(figures.fields)} field counters, "
                    f"{len(figures.days)} operator days"
                )
        if wrong:
            raise CommandError(f"{wrong} project(s) with wrong counters.")
