"""The audit trail partitioned by month on PostgreSQL (postgov.lib.partitions); SQLite
keeps the plain table. `seq` and `hash` lose their unique indexes there (a unique index
must hold the partition key) and keep plain ones: appends are serial under the chain's
head row, which hands out each sequence number once, and `audit_verify` finds a repeated
or missing number."""

from django.db import migrations

from postgov.lib.partitions import partition_by_month, plain_again

UNIQUE = ("audit_auditevent_seq_key", "audit_auditevent_hash_key")


def partition_trail(apps, schema_editor):
    partition_by_month(
        schema_editor.connection,
        "audit_auditevent",
        "at",
        unique_to_plain=UNIQUE,
    )


def plain_trail(apps, schema_editor):
    plain_again(schema_editor.connection, "audit_auditevent", unique_again=UNIQUE)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_index_object_id"),
    ]

    operations = [
        migrations.RunPython(partition_trail, plain_trail, elidable=False),
    ]
