"""A deploy migrates the database while the previous version still serves (docs/operations.md,
"Migrations while the old version serves"). So a migration may add — nullable columns,
columns with a database default, tables, indexes — but not take away or rename what the
old code reads and writes, nor make a column the old code leaves empty required. Those
steps come in a later release, once no running code uses the column or table.

Every migration after the baseline below is read; an operation that would break the old
version fails here unless the migration is listed in ALLOWED with the reason it is safe."""

from __future__ import annotations

from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.models import NOT_PROVIDED

# The last migration of each app when these rules were written: what came before was
# deployed under other rules. An app not listed here (a new app) is read from its first.
BASELINE = {
    "agencies": "0006",
    "audit": "0003",
    "catalog": "0003",
    "delivery": "0010",
    "dossiers": "0011",
    "exchange": "0002",
    "identity": "0011",
    "notify": "0007",
    "places": "0004",
    "queues": "0001",
    "registers": "0005",
    "reports": "0001",
    "statemail": "0001",
    "training": "0001",
}

# (app, migration name): why it cannot break the version before it.
ALLOWED: dict[tuple[str, str], str] = {}


def _number(name: str) -> str:
    return name.split("_", 1)[0]


def breaking_operations(app: str, migration, state_before) -> list[str]:
    """What in `migration` the previous version of the code would trip over."""
    found = []
    state = state_before
    for operation in migration.operations:
        kind = type(operation).__name__
        if isinstance(
            operation,
            migrations.RemoveField
            | migrations.RenameField
            | migrations.RenameModel
            | migrations.DeleteModel,
        ):
            found.append(f"{kind} {operation.describe()}")
        elif isinstance(operation, migrations.AlterField):
            field = operation.field
            model = state.models.get((app, operation.model_name_lower))
            before = model.fields.get(operation.name) if model else None
            if (
                before is not None
                and before.null
                and not field.null
                and field.db_default is NOT_PROVIDED
            ):
                found.append(f"{kind} {operation.describe()}: now NOT NULL without a db_default")
        elif isinstance(operation, migrations.AddField):
            field = operation.field
            if not field.null and field.db_default is NOT_PROVIDED and not field.many_to_many:
                # Django drops a `default` once the column is added: the old code's inserts,
                # which do not name the column, then fail.
                found.append(f"{kind} {operation.describe()}: NOT NULL without a db_default")
        state = state.clone()
        operation.state_forwards(app, state)
    return found


def _new_migrations(loader: MigrationLoader):
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if not type(migration).__module__.startswith("postgov."):
            continue
        if app in BASELINE and _number(name) <= BASELINE[app]:
            continue
        yield app, name, migration


def test_no_new_migration_breaks_the_version_still_serving():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    problems = []
    for app, name, migration in _new_migrations(loader):
        before = loader.project_state((app, name), at_end=False)
        found = breaking_operations(app, migration, before)
        if found and (app, name) not in ALLOWED:
            problems.append(f"{app}.{name}: " + "; ".join(found))
    assert problems == [], (
        "Migrations that break the version still serving during a deploy (add first, "
        "backfill, drop in a later release; or list it in ALLOWED with the reason):\n"
        + "\n".join(problems)
    )


def test_every_allowed_exception_names_a_migration_and_a_reason():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for (app, name), reason in ALLOWED.items():
        assert (app, name) in loader.disk_migrations, f"{app}.{name} does not exist"
        assert len(reason) > 20, f"{app}.{name}: say why it is safe"


def test_the_baseline_names_real_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = {(app, _number(name)) for app, name in loader.disk_migrations}
    for app, number in BASELINE.items():
        assert (app, number) in names, f"{app} has no migration {number}"


def test_the_check_finds_what_breaks_and_lets_additions_through():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    state = loader.project_state(("places", "0004_service_point_position_index"))

    class Breaking(migrations.Migration):
        operations = [
            migrations.AddField("province", "motto", models.TextField(null=True)),
            migrations.AddField("province", "rank", models.IntegerField(db_default=0)),
            migrations.CreateModel("Thing", [("id", models.BigAutoField(primary_key=True))]),
            migrations.AddField("province", "colour", models.CharField(default="", max_length=9)),
            migrations.AlterField("province", "motto", models.TextField(default="")),
            migrations.RenameField("province", "short_name", "nickname"),
            migrations.RemoveField("province", "latitude"),
            migrations.DeleteModel("Thing"),
        ]

    found = breaking_operations("places", Breaking("0099_test", "places"), state)
    assert [problem.split()[0] for problem in found] == [
        "AddField",
        "AlterField",
        "RenameField",
        "RemoveField",
        "DeleteModel",
    ]
    assert "colour" in found[0] and "motto" in found[1]
