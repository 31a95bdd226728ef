import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def approve_what_already_exists(apps, schema_editor):
    """Credentials and endpoints made before approvals existed keep working: approved when
    made, by nobody in particular."""
    for name in ("ApiKey", "AgencyClient", "WebhookEndpoint"):
        apps.get_model("exchange", name).objects.filter(approved_at__isnull=True).update(
            approved_at=F("created_at")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0002_order_webhooks_and_portal"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="agencyclient",
            name="approved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="agencyclient",
            name="approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="apikey",
            name="approved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apikey",
            name="approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="approved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(approve_what_already_exists, migrations.RunPython.noop),
    ]
