import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('identity', '0006_national_admin_role'),
        ('places', '0002_admin_units_load'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ChangeRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('role_assignment', 'role assignment'), ('relying_party', 'relying party (portal)'), ('upstream_provider', 'upstream identity provider')], max_length=20, verbose_name='kind')),
                ('target_id', models.BigIntegerField(blank=True, null=True, verbose_name='object')),
                ('result_id', models.BigIntegerField(blank=True, editable=False, null=True)),
                ('payload', models.JSONField(default=dict, editable=False)),
                ('requested_at', models.DateTimeField(auto_now_add=True, verbose_name='requested at')),
                ('status', models.CharField(choices=[('pending', 'waiting for a second administrator'), ('approved', 'approved and applied'), ('rejected', 'rejected')], db_index=True, default='pending', max_length=10, verbose_name='status')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                ('decision_note', models.CharField(blank=True, max_length=500, verbose_name='note')),
            ],
            options={
                'verbose_name': 'change waiting for approval',
                'verbose_name_plural': 'changes waiting for approval',
                'ordering': ['-requested_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='changerequest',
            name='decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by'),
        ),
        migrations.AddField(
            model_name='changerequest',
            name='province',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='places.province', verbose_name='province'),
        ),
        migrations.AddField(
            model_name='changerequest',
            name='requested_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='change_requests_made', to=settings.AUTH_USER_MODEL, verbose_name='requested by'),
        ),
        migrations.AddField(
            model_name='changerequest',
            name='subject_user',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='change_requests_about', to=settings.AUTH_USER_MODEL, verbose_name='for'),
        ),
        migrations.AddIndex(
            model_name='changerequest',
            index=models.Index(fields=['status', 'province'], name='change_request_queue_idx'),
        ),
        migrations.AddConstraint(
            model_name='changerequest',
            constraint=models.CheckConstraint(condition=models.Q(('decided_by', models.F('requested_by')), _negated=True), name='change_request_decided_by_another'),
        ),
        migrations.AddConstraint(
            model_name='changerequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('decided_at__isnull', True), ('decided_by__isnull', True), ('status', 'pending')), models.Q(('status__in', ['approved', 'rejected']), ('decided_at__isnull', False), ('decided_by__isnull', False)), _connector='OR'), name='change_request_decision_matches_status'),
        ),
    ]
