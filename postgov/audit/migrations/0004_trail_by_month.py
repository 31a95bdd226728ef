"""The audit trail partitioned by month on PostgreSQL (postgov.lib.partitions); SQLite
keeps the plain table. `seq` and `hash` lose their unique indexes there (a unique index
must hold the partition key) and keep plain ones: appends are serial under the chain's
head row, which hands out each sequence number once, and `audit_verify` finds a repeated
or missing number."""

from django.db import migrations

from postgov.lib.online_partitions import LOGS, check_small_enough_for_migration
from postgov.lib.partitions import partition_by_month, plain_again

TABLE = "audit_auditevent"


def partition_trail(apps, schema_editor):
    # A large trail is converted beforehand by `manage.py partition_online`; then this
    # finds it partitioned and does nothing.
    check_small_enough_for_migration(schema_editor.connection, TABLE)
    log = LOGS[TABLE]
    partition_by_month(
        schema_editor.connection, TABLE, log.column, unique_to_plain=log.unique_to_plain
    )


def plain_trail(apps, schema_editor):
    plain_again(schema_editor.connection, TABLE, unique_again=LOGS[TABLE].unique_to_plain)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_index_object_id"),
    ]

    operations = [
        migrations.RunPython(partition_trail, plain_trail, elidable=False),
    ]
