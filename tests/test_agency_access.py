"""Every page and endpoint of the agency and return legs refuses people without the right:
anonymous visitors go to the login page (pages) or get 401 (API), outsiders get
403, and staff of another agency or post office do not find what is not theirs."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from postgov.delivery.models import Manifest, ManifestItem
from postgov.exchange.integration import create_api_key, create_webhook
from postgov.exchange.models import ApiKey, WebhookDelivery
from tests.agency_helpers import handed_over, outbound_item

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock


@pytest.fixture
def things(world):
    dossier = handed_over(world)
    endpoint, _ = create_webhook(world.agency_a, "https://mc.example.vn/hook")
    key, _ = create_api_key(world.agency_a, "x")
    manifest = Manifest.objects.create(
        code="BK-T",
        province=world.province,
        service_point=world.point_a,
        agency=world.agency_a,
        postman=world.postman_a,
        status="presented",
    )
    line = ManifestItem.objects.create(
        manifest=manifest, item=outbound_item(dossier), dossier=dossier, added_by=world.postman_a
    )
    event = dossier.events.get(action="hand_over")
    delivery = WebhookDelivery.objects.filter(
        endpoint=endpoint
    ).first() or WebhookDelivery.objects.create(
        endpoint=endpoint, event_type="dossier.updated", payload="{}"
    )
    return dossier, manifest, line, event, endpoint, key, delivery


def pages(world, things):
    dossier, manifest, line, event, endpoint, key, delivery = things
    agency = world.agency_a.pk
    return [
        ("get", reverse("dossiers:agency_inbox")),
        ("get", reverse("dossiers:agency_dossier", args=[dossier.pk])),
        ("post", reverse("dossiers:agency_action", args=[dossier.pk, "accept"])),
        ("get", reverse("carriage:agency_manifest", args=[manifest.pk])),
        ("get", reverse("carriage:agency_manifest_record", args=[manifest.pk])),
        ("get", reverse("dossiers:form_pdf", args=[dossier.pk, event.pk])),
        ("get", reverse("dossiers:supplements")),
        ("get", reverse("dossiers:supplement", args=[dossier.pk])),
        ("get", reverse("carriage:manifests")),
        ("get", reverse("carriage:manifest", args=[manifest.pk])),
        ("post", reverse("carriage:manifest_scan", args=[manifest.pk])),
        ("post", reverse("carriage:manifest_remove", args=[manifest.pk, line.pk])),
        ("post", reverse("carriage:manifest_step", args=[manifest.pk, "dispatch"])),
        ("get", reverse("carriage:manifest_record", args=[manifest.pk])),
        ("get", reverse("carriage:item_label", args=[outbound_item(dossier).item_id])),
        ("get", reverse("carriage:deliveries")),
        ("get", reverse("carriage:delivery", args=[dossier.pk])),
        ("get", reverse("carriage:proof_file", args=[dossier.pk, "signature"])),
        ("get", reverse("reports:dashboard")),
        ("get", reverse("reports:sla")),
        ("get", reverse("reports:reconciliation")),
        ("get", reverse("reports:portal_sync")),
        ("post", reverse("reports:portal_retry")),
        ("get", reverse("exchange:integrations")),
        ("get", reverse("exchange:integration", args=[agency])),
        ("post", reverse("exchange:revoke_key", args=[agency, key.pk])),
        ("post", reverse("exchange:toggle_webhook", args=[agency, endpoint.pk])),
        ("post", reverse("exchange:resend_webhook", args=[agency, delivery.pk])),
    ]


def test_anonymous_and_outsiders_are_refused_everywhere(client, world, things):
    for method, url in pages(world, things):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    client.force_login(world.outsider)
    for method, url in pages(world, things):
        assert getattr(client, method)(url).status_code in (403, 404), url
    assert ApiKey.objects.get(name="x").revoked_at is None


def test_the_api_refuses_without_a_key(client, world, things):
    dossier, *_, delivery = things
    code = dossier.code
    calls = [
        ("get", "/api/v1/agency/dossiers"),
        ("get", f"/api/v1/agency/dossiers/{code}"),
        ("get", f"/api/v1/agency/dossiers/{code}/events/1/form"),
        ("post", f"/api/v1/agency/dossiers/{code}/acknowledge"),
        ("post", f"/api/v1/agency/dossiers/{code}/actions"),
        ("post", f"/api/v1/agency/dossiers/{code}/results"),
        ("get", "/api/v1/agency/webhooks/deliveries"),
        ("post", f"/api/v1/agency/webhooks/deliveries/{delivery.pk}/resend"),
    ]
    for method, url in calls:
        if method == "post":
            response = client.post(url, data=json.dumps({}), content_type="application/json")
        else:
            response = client.get(url)
        assert response.status_code == 401, url
        assert response["Content-Type"] == "application/problem+json"


def test_agency_b_finds_nothing_of_agency_a(client, world, things):
    dossier, manifest, line, event, endpoint, key, delivery = things
    client.force_login(world.officer_b)
    for method, url in pages(world, things)[1:6] + pages(world, things)[24:]:
        assert getattr(client, method)(url).status_code in (403, 404), url
    _, raw_b = create_api_key(world.agency_b, "b")
    headers = {"HTTP_X_API_KEY": raw_b}
    assert client.get(f"/api/v1/agency/dossiers/{dossier.code}", **headers).status_code == 404
    assert client.get("/api/v1/agency/dossiers", **headers).json()["items"] == []
    assert client.get("/api/v1/agency/webhooks/deliveries", **headers).json() == []
    resend = client.post(f"/api/v1/agency/webhooks/deliveries/{delivery.pk}/resend", **headers)
    assert resend.status_code == 404
