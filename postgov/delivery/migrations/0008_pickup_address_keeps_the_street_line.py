"""Pickup bookings saved with whole addresses keep their street line; the commune and
province they named are printed from the commune."""

from django.db import migrations


def split(apps, schema_editor):
    from postgov.places.addresses import split_saved_addresses

    PickupBooking = apps.get_model("delivery", "PickupBooking")
    split_saved_addresses(PickupBooking.objects.all(), "address", "commune")


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0007_pickup_account_and_capacity"),
        ("places", "0002_admin_units_load"),
    ]

    operations = [migrations.RunPython(split, migrations.RunPython.noop)]
