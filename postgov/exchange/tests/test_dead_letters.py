"""The dead-letter list: deliveries given up after their last attempt, re-sent one at a time
or all at once by the agency's officers or the province's administrators, audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.exchange import webhooks
from postgov.exchange.integration import create_webhook
from postgov.exchange.models import WebhookDelivery

pytestmark = pytest.mark.clock


def _given_up(world, count: int, url: str = "http://127.0.0.1:9/hooks") -> list[WebhookDelivery]:
    endpoint, _secret = create_webhook(world.agency_a, url)
    return [
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type="dossier.updated",
            payload=f'{{"n":{n}}}',
            status=WebhookDelivery.Status.FAILED,
            attempts=webhooks.MAX_ATTEMPTS,
            last_error="could not connect",
        )
        for n in range(count)
    ]


def test_it_checks_access(client, world, clerk_a, agency_receiver, officer_b, outsider):
    [delivery] = _given_up(world, 1)
    page = reverse("exchange:dead_letters", args=[world.agency_a.pk])
    resend = reverse("exchange:resend_dead_letters", args=[world.agency_a.pk])
    assert client.get(page).status_code == 302
    assert client.post(resend, {"all": "1"}).status_code == 302
    for person in (clerk_a, agency_receiver, outsider):
        client.force_login(person)
        assert client.get(page).status_code == 403
        assert client.post(resend, {"all": "1"}).status_code == 403
    client.force_login(officer_b)  # an officer of another agency
    assert client.get(page).status_code == 404
    assert client.post(resend, {"delivery": delivery.pk}).status_code == 404
    assert not WebhookDelivery.objects.filter(resent_from__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="agency.webhook_resent").exists()


def test_the_list_shows_what_was_given_up_and_resends_one_then_all(client, world):
    first, second, third = _given_up(world, 3)
    delivered = WebhookDelivery.objects.create(
        endpoint=first.endpoint, event_type="dossier.updated", payload="{}", status="delivered"
    )
    client.force_login(world.agency_officer)
    page = reverse("exchange:dead_letters", args=[world.agency_a.pk])
    html = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "could not connect" in html and "Send all 3 deliveries again" in html
    assert f">{delivered.pk}<" not in html
    integration = reverse("exchange:integration", args=[world.agency_a.pk])
    assert client.get(integration).context["given_up"] == 3

    resend = reverse("exchange:resend_dead_letters", args=[world.agency_a.pk])
    assert client.post(resend, {"delivery": second.pk})["Location"] == page
    copy = WebhookDelivery.objects.get(resent_from=second)
    assert copy.payload == second.payload and copy.status == "pending"
    assert set(webhooks.given_up(world.agency_a.pk)) == {first, third}

    client.post(resend, {"all": "1"})
    assert set(
        WebhookDelivery.objects.filter(resent_from__isnull=False).values_list(
            "resent_from_id", flat=True
        )
    ) == {first.pk, second.pk, third.pk}
    assert not webhooks.given_up(world.agency_a.pk).exists()
    # Pressed again (a second tab, a double click): nothing is sent twice.
    client.post(resend, {"all": "1"})
    client.post(resend, {"delivery": first.pk})
    assert WebhookDelivery.objects.filter(resent_from__isnull=False).count() == 3
    events = AuditEvent.objects.filter(action="agency.webhook_resent")
    assert events.count() == 3
    assert all(e.actor_id == world.agency_officer.pk for e in events)
    assert {e.details["all"] for e in events} == {True, False}


def test_a_resent_delivery_that_fails_again_is_listed_again(client, world):
    [original] = _given_up(world, 1)
    [copy] = webhooks.resend_given_up(world.agency_a.pk, user=world.provincial_admin)
    WebhookDelivery.objects.filter(pk=copy.pk).update(status="failed", attempts=8)
    assert list(webhooks.given_up(world.agency_a.pk)) == [copy]
    client.force_login(world.provincial_admin)
    html = client.get(reverse("exchange:dead_letters", args=[world.agency_a.pk])).content.decode()
    assert f"↻{original.pk}" in html


def test_a_bad_delivery_id_is_not_found(client, world):
    client.force_login(world.agency_officer)
    resend = reverse("exchange:resend_dead_letters", args=[world.agency_a.pk])
    assert client.post(resend, {"delivery": "x"}).status_code == 404
    assert client.post(resend, {"delivery": "9" * 30}).status_code == 404
    response = client.post(resend, {"delivery": "999999"})
    assert response.status_code == 302 and not WebhookDelivery.objects.exists()
