"""An agency's officer clears the dead-letter list in Chromium: from the integration page's
count to the list of deliveries given up, one sent again, then all the others."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from postgov.exchange import webhooks
from postgov.exchange.integration import create_webhook
from postgov.exchange.models import WebhookDelivery
from tests.browser import log_in
from tests.browser_tests.test_intake_journey import shot

pytestmark = pytest.mark.browser


def test_the_officer_sends_given_up_deliveries_again(page, world, settings):
    endpoint, _secret = create_webhook(world.agency_a, "https://93.184.215.14/hooks/postgov")
    given_up = [
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type="dossier.updated",
            payload=f'{{"n":{n}}}',
            status=WebhookDelivery.Status.FAILED,
            attempts=webhooks.MAX_ATTEMPTS,
            last_error="could not connect",
        )
        for n in range(3)
    ]
    log_in(page, "officer_a")
    page.goto(reverse("exchange:integration", args=[world.agency_a.pk]))
    page.locator(f'a[href="{reverse("exchange:dead_letters", args=[world.agency_a.pk])}"]').click()
    page.wait_for_load_state()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    shot(page, "dead-letters-1-list")

    rows.first.get_by_role("button").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(2)

    page.locator("form input[name=all]").locator("xpath=..").get_by_role("button").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(1)  # "No delivery given up."
    shot(page, "dead-letters-2-cleared")
    copies = WebhookDelivery.objects.filter(resent_from__in=given_up)
    assert copies.count() == 3
    assert {c.resent_from_id for c in copies} == {d.pk for d in given_up}
