from django.db import migrations, models


def forget_login_failures(apps, schema_editor):
    # Throttling data of the last hour, in the old shape: nothing worth converting, and an
    # empty table lets the column change both ways.
    apps.get_model("identity", "LoginFailure").objects.all().delete()


class Migration(migrations.Migration):
    """Login failures keyed by a client (an IPv4 address, an IPv6 /64 or a known device)
    instead of a bare address. They are kept an hour for throttling only, so the old rows
    go with their column."""

    dependencies = [
        ("identity", "0009_second_factor_attempts"),
    ]

    operations = [
        migrations.RemoveField(model_name="loginfailure", name="address"),
        migrations.RunPython(forget_login_failures, forget_login_failures),
        migrations.AddField(
            model_name="loginfailure",
            name="client",
            field=models.CharField(db_index=True, default="", max_length=80),
            preserve_default=False,
        ),
    ]
