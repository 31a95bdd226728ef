"""An agency's officer adds a webhook in Chromium: an address inside the network is refused
with a message in Vietnamese and the typed address stays in the field; a public https
address is accepted and its signing secret shown once; it waits until the province's
administrator approves it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.exchange.models import WebhookEndpoint
from tests.browser import log_in, log_out
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
    assert "phải phê duyệt" in page.locator(".alert-warning").inner_text()
    waiting = page.get_by_test_id("waiting")
    assert waiting.inner_text() == "chờ phê duyệt"
    assert page.get_by_role("button", name="Phê duyệt").count() == 0  # not by its maker
    shot(page, "webhook-added")

    log_out(page)
    log_in(page, "admin_qt")
    page.goto(reverse("exchange:integration", args=[world.agency_a.pk]))
    page.get_by_role("button", name="Phê duyệt").click()
    page.wait_for_load_state()
    assert "Đã phê duyệt" in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("waiting").count() == 0
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.approved_by == world.provincial_admin
    shot(page, "webhook-approved")
