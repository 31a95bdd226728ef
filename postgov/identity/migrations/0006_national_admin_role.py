import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0004_agency_oauth_clients'),
        ('identity', '0005_proofing_card_match'),
        ('places', '0002_admin_units_load'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='roleassignment',
            name='role_scope_matches_role',
        ),
        migrations.AlterField(
            model_name='roleassignment',
            name='role',
            field=models.CharField(choices=[('clerk', 'Counter clerk'), ('postman', 'Postman'), ('supervisor', 'Point supervisor'), ('agency_receiver', 'Agency receiver'), ('agency_officer', 'Agency officer'), ('provincial_admin', 'Provincial administrator'), ('auditor', 'Auditor'), ('national_admin', 'National administrator')], max_length=20, verbose_name='role'),
        ),
        migrations.AlterField(
            model_name='roleassignment',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='role_assignments', to=settings.AUTH_USER_MODEL, verbose_name='user'),
        ),
        migrations.AddConstraint(
            model_name='roleassignment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('agency__isnull', True), ('province__isnull', True), ('role__in', ['clerk', 'postman', 'supervisor']), ('service_point__isnull', False)), models.Q(('agency__isnull', False), ('province__isnull', True), ('role__in', ['agency_officer', 'agency_receiver']), ('service_point__isnull', True)), models.Q(('agency__isnull', True), ('province__isnull', False), ('role__in', ['auditor', 'provincial_admin']), ('service_point__isnull', True)), models.Q(('agency__isnull', True), ('province__isnull', True), ('role__in', ['national_admin']), ('service_point__isnull', True)), _connector='OR'), name='role_scope_matches_role', violation_error_message='A point role needs a service point, an agency role an agency, a provincial role a province, and a national role no place at all.'),
        ),
    ]
