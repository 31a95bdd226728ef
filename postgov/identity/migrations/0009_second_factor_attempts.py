import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Wrong second factors counted per account in the database."""

    dependencies = [
        ("identity", "0008_fixed_pairwise_sector"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SecondFactorAttempts",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="second_factor_attempts",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("failures", models.PositiveIntegerField(default=0)),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                (
                    "stopped_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="second factor stopped at"
                    ),
                ),
                ("stopped_until", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "second-factor attempts",
                "verbose_name_plural": "second-factor attempts",
            },
        ),
    ]
