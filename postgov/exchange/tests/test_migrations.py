"""The integration models left `agencies` for `exchange` without moving a row: records
made before the move are read through the new models after it, and going back returns
them to `agencies`."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from oauth2_provider.models import get_application_model

from postgov.exchange.models import (
    AgencyClient,
    ApiKey,
    IdempotencyRecord,
    PortalSyncItem,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.agency_helpers import sealed

BEFORE = [("agencies", "0005_webhook_secret_sealed")]
MOVED = ["agencyclient", "apikey", "idempotencyrecord", "portalsyncitem", "webhookdelivery"]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_rows_made_before_the_move_are_read_through_the_exchange_models(world):
    dossier = sealed(world)
    Application = get_application_model()
    application = Application.objects.create(
        name="Hệ thống một cửa",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    content_type = ContentType.objects.get_for_model(ApiKey)
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        executor = _migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        assert not old.is_installed("postgov.exchange")
        # Permissions given on the models follow them back, and forward again.
        assert ContentType.objects.get(pk=content_type.pk).app_label == "agencies"
        agency_id = world.agency_a.pk
        key = old.get_model("agencies", "ApiKey").objects.create(
            agency_id=agency_id, name="Một cửa", prefix="pk_old", key_hash="h" * 64
        )
        client = old.get_model("agencies", "AgencyClient").objects.create(
            agency_id=agency_id, application_id=application.pk, name="Một cửa"
        )
        old.get_model("agencies", "IdempotencyRecord").objects.create(
            agency_id=agency_id,
            key="retry-1",
            request_hash="r" * 64,
            method="POST",
            path="/api/v1/agency/dossiers/X/actions",
            status_code=200,
            response_body='{"ok":true}',
        )
        endpoint = old.get_model("agencies", "WebhookEndpoint").objects.create(
            agency_id=agency_id, url="https://mc.example.vn/hook", secret_sealed="sealed"
        )
        Delivery = old.get_model("agencies", "WebhookDelivery")
        first = Delivery.objects.create(
            endpoint=endpoint, event_type="dossier.new", dossier_id=dossier.pk, payload="{}"
        )
        Delivery.objects.create(
            endpoint=endpoint,
            event_type="dossier.new",
            dossier_id=dossier.pk,
            payload="{}",
            resent_from=first,
        )
        old.get_model("agencies", "PortalSyncItem").objects.create(
            dossier_id=dossier.pk,
            province_id=world.province.pk,
            service="DongBoHoSoMC",
            payload={"MaHoSo": dossier.code},
        )

        _migrate(leaves)

        assert ApiKey.objects.get(pk=key.pk).prefix == "pk_old"
        moved_client = AgencyClient.objects.get(pk=client.pk)
        assert moved_client.application == application
        assert moved_client.agency == world.agency_a
        assert IdempotencyRecord.objects.get(key="retry-1").response_body == '{"ok":true}'
        hook = WebhookEndpoint.objects.get(pk=endpoint.pk)
        assert [d.resent_from_id for d in hook.deliveries.order_by("id")] == [None, first.pk]
        assert WebhookDelivery.objects.filter(dossier=dossier).count() == 2
        assert PortalSyncItem.objects.get(dossier=dossier).payload == {"MaHoSo": dossier.code}
        assert ContentType.objects.get(pk=content_type.pk).app_label == "exchange"
        assert not ContentType.objects.filter(app_label="agencies", model__in=MOVED).exists()
    finally:
        _migrate(leaves)
