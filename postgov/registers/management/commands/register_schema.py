"""Give a digitisation project one of the ready schemas (or a schema file of your own): a
new version when records were keyed under the current one."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from postgov.identity.models import User
from postgov.registers import actions, schemas
from postgov.registers.fields import SchemaError
from postgov.registers.models import Project


class Command(BaseCommand):
    help = (
        "Load a ready schema (population, health_insurance, social_insurance) or a JSON "
        "file into a project."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", type=int, help="the project's id")
        parser.add_argument("schema", help="a ready schema's name or a JSON file's path")
        parser.add_argument("--by", required=True, help="username of the project manager")

    def handle(self, *args, project, schema, by, **options):
        target = Project.objects.filter(pk=project).first()
        if target is None:
            raise CommandError(f"No project {project}.")
        user = User.objects.filter(username=by).first()
        if user is None:
            raise CommandError(f"No user {by}.")
        try:
            if schema in schemas.READY:
                fields = schemas.ready_schema(schema)["fields"]
            else:
                fields = json.loads(Path(schema).read_text(encoding="utf-8"))
                fields = fields["fields"] if isinstance(fields, dict) else fields
            version = actions.save_schema(target, fields, by=user)
        except (OSError, ValueError, SchemaError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{target}: schema version {version.number}, {len(fields)} fields.")
