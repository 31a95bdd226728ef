"""The event log partitioned by month on PostgreSQL (postgov.lib.partitions); SQLite keeps
the plain table. An attachment's event stays a foreign key in the ORM but not in the
database: PostgreSQL cannot point a foreign key at a partitioned table by `id` alone.
Attachments are written in the transaction that writes their event, and events are
never deleted."""

import django.db.models.deletion
from django.db import migrations, models

from postgov.lib.online_partitions import LOGS, check_small_enough_for_migration
from postgov.lib.partitions import partition_by_month, plain_again

TABLE = "dossiers_dossierevent"


def partition_events(apps, schema_editor):
    # A large log is converted beforehand by `manage.py partition_online`; then this finds
    # it partitioned and does nothing.
    check_small_enough_for_migration(schema_editor.connection, TABLE)
    log = LOGS[TABLE]
    partition_by_month(
        schema_editor.connection, TABLE, log.column, unique_to_plain=log.unique_to_plain
    )


def plain_events(apps, schema_editor):
    plain_again(schema_editor.connection, TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0012_linked_packages"),
    ]

    operations = [
        migrations.AlterField(
            model_name="eventattachment",
            name="event",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="attachments",
                to="dossiers.dossierevent",
            ),
        ),
        migrations.RunPython(partition_events, plain_events, elidable=False),
    ]
