"""Dossiers saved with whole addresses keep their street line; the commune and province
they named are printed from the commune."""

from django.db import migrations


def split(apps, schema_editor):
    from postgov.places.addresses import split_saved_addresses

    Dossier = apps.get_model("dossiers", "Dossier")
    split_saved_addresses(Dossier.objects.all(), "applicant_address", "applicant_commune")
    split_saved_addresses(Dossier.objects.all(), "return_address", "return_commune")


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0006_applicant_id_number_index"),
        ("places", "0002_admin_units_load"),
    ]

    operations = [migrations.RunPython(split, migrations.RunPython.noop)]
