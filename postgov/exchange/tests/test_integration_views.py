"""Managing an agency's integrations: who may, keys shown once, revoke, webhooks, re-send."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.exchange.integration import create_webhook
from postgov.exchange.models import ApiKey, WebhookDelivery
from postgov.lib import outbound
from tests.agency_helpers import handed_over

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock


def test_it_checks_access(client, world, clerk_a, agency_receiver, officer_b, outsider):
    url = reverse("exchange:integration", args=[world.agency_a.pk])
    assert client.get(url).status_code == 302
    for person in (clerk_a, agency_receiver, outsider):
        client.force_login(person)
        assert client.get(url).status_code == 403
        assert client.get(reverse("exchange:integrations")).status_code == 403
    client.force_login(officer_b)  # an officer of another agency
    assert client.get(url).status_code == 404
    assert client.post(url, {"form": "key", "name": "x"}).status_code == 404


def test_a_key_is_shown_once_then_only_its_prefix(client, world):
    client.force_login(world.agency_officer)
    url = reverse("exchange:integration", args=[world.agency_a.pk])
    assert client.get(reverse("exchange:integrations"))["Location"] == url
    response = client.post(url, {"form": "key", "name": "Hệ thống một cửa"})
    raw = response.context["shown"]["value"]
    assert raw.startswith("pgk_") and raw in response.content.decode()
    page = client.get(url).content.decode()
    assert raw not in page and ApiKey.objects.get().prefix in page
    key = ApiKey.objects.get()
    client.post(reverse("exchange:revoke_key", args=[world.agency_a.pk, key.pk]))
    key.refresh_from_db()
    assert key.revoked_at and AuditEvent.objects.filter(action="agency.api_key_revoked").exists()


def test_the_provincial_admin_adds_a_webhook_and_resends(client, world, settings, monkeypatch):
    settings.OUTBOUND_ALLOW_PRIVATE = False  # as in production: https, public addresses
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.215.14"])
    client.force_login(world.provincial_admin)
    url = reverse("exchange:integration", args=[world.agency_a.pk])
    assert (
        client.post(url, {"form": "webhook", "url": "http://mc.example.vn/hook"}).status_code == 400
    )
    response = client.post(url, {"form": "webhook", "url": "https://mc.example.vn/hook"})
    assert response.context["shown"]["value"].startswith("whsec_")
    endpoint, _ = create_webhook(world.agency_a, "https://other.example.vn/h")
    handed_over(world)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
    client.post(reverse("exchange:resend_webhook", args=[world.agency_a.pk, delivery.pk]))
    assert WebhookDelivery.objects.filter(resent_from=delivery).exists()
    client.post(reverse("exchange:toggle_webhook", args=[world.agency_a.pk, endpoint.pk]))
    endpoint.refresh_from_db()
    assert not endpoint.active


def test_an_oauth_client_is_created_shown_once_and_revoked(client, world, officer_b):
    from postgov.exchange.models import AgencyClient

    client.force_login(world.agency_officer)
    url = reverse("exchange:integration", args=[world.agency_a.pk])
    response = client.post(url, {"form": "client", "name": "Hệ thống một cửa", "access": "read"})
    assert response.status_code == 200
    shown = response.context["shown"]
    agency_client = AgencyClient.objects.get()
    assert shown["client_id"] == agency_client.application.client_id
    assert shown["value"] in response.content.decode()
    assert agency_client.scopes == ["agency.dossiers.read"]
    assert client.post(url, {"form": "client", "name": "", "access": "x"}).status_code == 400
    page = client.get(url).content.decode()
    assert shown["value"] not in page and shown["client_id"] in page
    revoke = reverse("exchange:revoke_client", args=[world.agency_a.pk, agency_client.pk])
    client.force_login(officer_b)  # another agency's officer cannot revoke it
    assert client.post(revoke).status_code == 404
    client.force_login(world.agency_officer)
    assert client.post(revoke).status_code == 302
    agency_client.refresh_from_db()
    assert agency_client.revoked_at and not agency_client.application.active
    assert AuditEvent.objects.filter(action="agency.oauth_client_revoked").exists()
