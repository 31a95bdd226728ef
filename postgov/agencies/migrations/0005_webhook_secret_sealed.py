"""Webhook signing secrets are sealed at rest (AES-GCM under a key derived from
IDENTITY_SECRET), like upstream client secrets and TOTP secrets. Existing secrets are
sealed on the way; going back unseals them into the old column."""

from django.db import migrations, models

from postgov.lib.sealing import seal, unseal

# The key label in force when this migration was written (agencies.models keeps the same).
PURPOSE = "webhook-signing-secret"


def seal_secrets(apps, schema_editor):
    WebhookEndpoint = apps.get_model("agencies", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.exclude(secret="").iterator():
        endpoint.secret_sealed = seal(endpoint.secret, PURPOSE)
        endpoint.save(update_fields=["secret_sealed"])


def unseal_secrets(apps, schema_editor):
    WebhookEndpoint = apps.get_model("agencies", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.exclude(secret_sealed="").iterator():
        endpoint.secret = unseal(endpoint.secret_sealed, PURPOSE)
        endpoint.save(update_fields=["secret"])


class Migration(migrations.Migration):

    dependencies = [
        ("agencies", "0004_agency_oauth_clients"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="secret_sealed",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        # A default, so that going back can add the column again to a table with rows.
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=models.CharField(default="", max_length=80),
        ),
        migrations.RunPython(seal_secrets, unseal_secrets),
        migrations.RemoveField(
            model_name="webhookendpoint",
            name="secret",
        ),
    ]
