"""Someone holding a copy of the database does not get the agencies' webhook signing
secrets (they could forge deliveries): the secrets are sealed like the other secrets PostID
keeps, shown once when made, and the migration seals the ones that were kept in clear."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from postgov.exchange.models import WebhookEndpoint


def _rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608  (a fixed table name)
        return cursor.fetchall()


def test_the_signing_secret_is_sealed_and_shown_once(client, world, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    client.force_login(world.agency_officer)
    page = reverse("exchange:integration", args=[world.agency_a.pk])
    response = client.post(page, {"form": "webhook", "url": "http://127.0.0.1:8080/hook"})
    secret = response.context["shown"]["value"]
    assert secret.startswith("whsec_") and secret in response.content.decode()
    stored = " ".join(str(value) for row in _rows("agencies_webhookendpoint") for value in row)
    assert secret not in stored and secret[6:20] not in stored
    assert WebhookEndpoint.objects.get().signing_secret() == secret
    assert secret not in client.get(page).content.decode()  # never shown again


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_existing_secrets_and_goes_back(world):
    before = [("agencies", "0004_agency_oauth_clients")]
    after = [("agencies", "0005_webhook_secret_sealed")]
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(before)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO agencies_webhookendpoint (agency_id, url, secret, active, created_at)"
                " VALUES (%s, %s, %s, %s, %s)",
                [world.agency_a.pk, "https://mc.example.vn/h", "whsec_old", True, timezone.now()],
            )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        assert "whsec_old" not in str(_rows("agencies_webhookendpoint"))
        assert WebhookEndpoint.objects.only("secret_sealed").get().signing_secret() == "whsec_old"
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        assert "whsec_old" in _rows("agencies_webhookendpoint")[0]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(leaves)
