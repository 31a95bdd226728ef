"""The event log partitioned by month on PostgreSQL (postgov.lib.partitions); SQLite keeps
the plain table. An attachment's event stays a foreign key in the ORM but not in the
database: PostgreSQL cannot point a foreign key at a partitioned table by `id` alone.
Attachments are written in the transaction that writes their event, and events are
never deleted."""

import django.db.models.deletion
from django.db import migrations, models

from postgov.lib.partitions import partition_by_month, plain_again


def partition_events(apps, schema_editor):
    partition_by_month(schema_editor.connection, "dossiers_dossierevent", "at")


def plain_events(apps, schema_editor):
    plain_again(schema_editor.connection, "dossiers_dossierevent")


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
