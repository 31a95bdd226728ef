"""Four eyes on an agency's integration: a key, an OAuth2 client or a webhook made by one
person works only once a second person who manages the same agency approves it."""

from __future__ import annotations

import base64

import pytest
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.exchange.models import AgencyClient, ApiKey, WebhookDelivery, WebhookEndpoint
from postgov.lib import outbound
from tests.agency_helpers import handed_over

pytestmark = pytest.mark.clock


def page(world):
    return reverse("exchange:integration", args=[world.agency_a.pk])


def approve_url(world, kind, pk):
    return reverse("exchange:approve", args=[world.agency_a.pk, kind, pk])


def api_get(client, raw):
    return client.get("/api/v1/agency/dossiers", HTTP_X_API_KEY=raw)


def test_a_key_made_on_the_page_waits_for_a_second_person(client, world):
    client.force_login(world.agency_officer)
    response = client.post(page(world), {"form": "key", "name": "Một cửa"})
    raw = response.context["shown"]["value"]
    assert response.context["shown"]["waiting"]
    assert "must approve it" in response.content.decode() or "phê duyệt" in (
        response.content.decode()
    )
    key = ApiKey.objects.get()
    assert key.waiting_for_approval
    assert api_get(client, raw).status_code == 401

    # The maker cannot approve it: told so, nothing changes.
    response = client.post(approve_url(world, "key", key.pk), follow=True)
    key.refresh_from_db()
    assert key.waiting_for_approval
    assert api_get(client, raw).status_code == 401
    assert not AuditEvent.objects.filter(action="agency.integration_approved").exists()

    client.force_login(world.provincial_admin)
    assert client.post(approve_url(world, "key", key.pk)).status_code == 302
    key.refresh_from_db()
    assert key.approved_by == world.provincial_admin and key.approved_at
    assert api_get(client, raw).status_code == 200
    event = AuditEvent.objects.get(action="agency.integration_approved")
    assert event.details == {"kind": "api_key", "label": key.prefix}
    assert raw not in str(event.details)

    # Twice: nothing more happens.
    client.post(approve_url(world, "key", key.pk))
    assert AuditEvent.objects.filter(action="agency.integration_approved").count() == 1


def test_an_oauth_client_gets_no_token_before_approval(client, world):
    client.force_login(world.provincial_admin)
    response = client.post(page(world), {"form": "client", "name": "Một cửa", "access": "read"})
    shown = response.context["shown"]
    agency_client = AgencyClient.objects.get()
    basic = base64.b64encode(f"{shown['client_id']}:{shown['value']}".encode()).decode()

    def token():
        return client.post(
            reverse("identity:oidc_token"),
            {"grant_type": "client_credentials", "scope": "agency.dossiers.read"},
            HTTP_AUTHORIZATION=f"Basic {basic}",
        )

    assert token().status_code == 401
    client.force_login(world.agency_officer)
    client.post(approve_url(world, "client", agency_client.pk))
    agency_client.refresh_from_db()
    assert not agency_client.waiting_for_approval and agency_client.application.active
    assert token().status_code == 200


def test_a_webhook_hears_nothing_before_approval(client, world, settings, monkeypatch):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.215.14"])
    client.force_login(world.agency_officer)
    client.post(page(world), {"form": "webhook", "url": "https://mc.example.vn/hook"})
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.waiting_for_approval
    handed_over(world)
    assert not WebhookDelivery.objects.exists()
    text = client.get(page(world)).content.decode()
    assert 'data-testid="waiting"' in text
    assert approve_url(world, "webhook", endpoint.pk) not in text  # not for its maker

    client.force_login(world.provincial_admin)
    assert approve_url(world, "webhook", endpoint.pk) in client.get(page(world)).content.decode()
    client.post(approve_url(world, "webhook", endpoint.pk))
    handed_over(world)
    assert WebhookDelivery.objects.filter(endpoint=endpoint).exists()


def test_only_those_who_manage_the_agency_approve(
    client, world, clerk_a, agency_receiver, officer_b, outsider
):
    client.force_login(world.agency_officer)
    client.post(page(world), {"form": "key", "name": "Một cửa"})
    key = ApiKey.objects.get()
    url = approve_url(world, "key", key.pk)
    client.logout()
    assert client.post(url).status_code == 302 and "/accounts/login/" in client.post(url).url
    for person in (clerk_a, agency_receiver, outsider):
        client.force_login(person)
        assert client.post(url).status_code == 403
    client.force_login(officer_b)  # an officer of another agency
    assert client.post(url).status_code == 404
    client.force_login(world.provincial_admin)
    assert client.get(url).status_code == 405
    assert client.post(approve_url(world, "secret", key.pk)).status_code == 404
    key.refresh_from_db()
    assert key.waiting_for_approval


def test_a_revoked_key_cannot_be_approved(client, world):
    client.force_login(world.agency_officer)
    client.post(page(world), {"form": "key", "name": "Một cửa"})
    key = ApiKey.objects.get()
    client.post(reverse("exchange:revoke_key", args=[world.agency_a.pk, key.pk]))
    client.force_login(world.provincial_admin)
    client.post(approve_url(world, "key", key.pk))
    key.refresh_from_db()
    assert key.waiting_for_approval and key.revoked_at
