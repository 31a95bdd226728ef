"""S10 serials from a PostgreSQL sequence per service indicator (postgov.delivery.serials),
continuing after the last serial each counter row gave."""

from django.conf import settings
from django.db import migrations


def create_sequences(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from postgov.delivery.serials import create_sequence_sql

    ItemSerial = apps.get_model("delivery", "ItemSerial")
    last = dict(ItemSerial.objects.values_list("service_indicator", "last_value"))
    last.setdefault(settings.S10_SERVICE_INDICATOR, 0)
    with connection.cursor() as cursor:
        for indicator, value in sorted(last.items()):
            cursor.execute(create_sequence_sql(indicator, value))


def drop_sequences(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'S' "
            "AND relname LIKE 'delivery\\_s10\\_serial\\_%%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP SEQUENCE IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("delivery", "0004_item_order_ties_by_id")]

    operations = [migrations.RunPython(create_sequences, drop_sequences)]
