"""An agency's officer adds a webhook in Chromium: an address inside the network is refused
with a message in Vietnamese and the typed address stays in the field; a public https
address is accepted and its signing secret shown once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.exchange.models import WebhookEndpoint
from tests.browser import log_in
from tests.browser_tests.test_intake_journey import shot

pytestmark = pytest.mark.browser


def test_officer_adds_a_webhook_and_a_private_address_is_refused(page, world, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False  # as in production
    log_in(page, "officer_a")
    page.goto(reverse("exchange:integration", args=[world.agency_a.pk]))
    field = page.locator("input[name=url]")
    field.fill("https://169.254.169.254/latest/meta-data/")
    field.press("Enter")
    page.wait_for_load_state()
    assert "Địa chỉ này không được phép" in page.content()
    assert field.input_value() == "https://169.254.169.254/latest/meta-data/"
    assert not WebhookEndpoint.objects.exists()
    shot(page, "webhook-refused")
    field.fill("https://93.184.215.14/hooks/postgov")
    field.press("Enter")
    page.wait_for_load_state()
    secret = page.locator(".alert-warning code").last.inner_text()
    assert secret.startswith("whsec_")
    assert "lưu khóa ở dạng mã hóa" in page.content()
    assert WebhookEndpoint.objects.get().signing_secret() == secret
    shot(page, "webhook-added")
