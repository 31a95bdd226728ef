"""The integration models (API keys, OAuth2 clients, idempotency records, webhooks, the
national-portal queue) move to the exchange app: only Django's state; their tables and
rows stay (exchange.0001 takes them over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0005_webhook_secret_sealed"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are (exchange's models name them).
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name="apikey",
                    name="agency",
                ),
                migrations.RemoveField(
                    model_name="apikey",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="apikey",
                    name="revoked_by",
                ),
                migrations.RemoveField(
                    model_name="idempotencyrecord",
                    name="agency",
                ),
                migrations.RemoveField(
                    model_name="portalsyncitem",
                    name="dossier",
                ),
                migrations.RemoveField(
                    model_name="portalsyncitem",
                    name="province",
                ),
                migrations.RemoveField(
                    model_name="webhookdelivery",
                    name="dossier",
                ),
                migrations.RemoveField(
                    model_name="webhookdelivery",
                    name="endpoint",
                ),
                migrations.RemoveField(
                    model_name="webhookdelivery",
                    name="resent_from",
                ),
                migrations.RemoveField(
                    model_name="webhookendpoint",
                    name="agency",
                ),
                migrations.RemoveField(
                    model_name="webhookendpoint",
                    name="created_by",
                ),
                migrations.DeleteModel(
                    name="AgencyClient",
                ),
                migrations.DeleteModel(
                    name="ApiKey",
                ),
                migrations.DeleteModel(
                    name="IdempotencyRecord",
                ),
                migrations.DeleteModel(
                    name="PortalSyncItem",
                ),
                migrations.DeleteModel(
                    name="WebhookDelivery",
                ),
                migrations.DeleteModel(
                    name="WebhookEndpoint",
                ),
            ],
        ),
    ]
