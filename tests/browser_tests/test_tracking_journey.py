"""A citizen follows a dossier on the public tracking page in Chromium: by the postal item
number alone (where the item is, nothing of the dossier), by the label's QR code (its
tracking token opens the whole timeline), and by the dossier code with the last 4 phone
digits, then the receipt and appointment slip (Form 01) as a PDF."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from postgov.delivery.models import PostalItem
from postgov.dossiers.tracking import links as tracking_links
from postgov.lib.phones import last_digits
from tests.agency_helpers import handed_over, outbound_item
from tests.browser_tests.test_intake_journey import shot

pytestmark = pytest.mark.browser


def test_an_item_number_alone_shows_the_postal_status_and_the_qr_the_dossier(page, world):
    cache.clear()  # the lookup rate limit
    dossier = handed_over(world)
    item = outbound_item(dossier).item_id
    page.goto("/track/")
    page.fill("input[name=code]", item)
    page.locator("input[name=code]").press("Enter")
    page.locator("#postal-only-note").wait_for()
    text = page.locator("main").inner_text()
    assert item in text and "Đã phát thành công" in text  # delivered to the agency
    for secret in (dossier.code, dossier.agency.name, dossier.procedure_version.procedure.name):
        assert secret not in text, secret
    shot(page, "track-postal-only")

    # The label's QR code: the same item number with the dossier's token.
    link = urlsplit(tracking_links.link(item, dossier.pk))
    page.goto(f"{link.path}?{link.query}")
    page.locator(".pg-timeline").wait_for()
    text = page.locator("main").inner_text()
    assert dossier.code in text and dossier.agency.name in text
    assert page.locator("#postal-only-note").count() == 0
    assert dossier.applicant_phone not in page.content()
    shot(page, "track-qr-token")

    # A token that is not this dossier's: the postal status, and why.
    page.goto(f"/track/?code={item}&t=AAAAAAAAAAAAAAAA")
    page.locator("#postal-only-note").wait_for()
    assert dossier.code not in page.locator("main").inner_text()
    assert page.get_by_role("alert").count() == 1
    shot(page, "track-token-refused")
    assert PostalItem.objects.filter(dossier=dossier).exists()


def test_citizen_looks_up_a_dossier_and_downloads_form_01(page, world):
    cache.clear()  # the lookup rate limit
    dossier = handed_over(world)
    page.goto("/track/")
    page.fill("input[name=code]", dossier.code)
    page.fill("input[name=phone_last4]", "0000")
    page.locator("input[name=phone_last4]").press("Enter")
    assert page.locator(".pg-timeline").count() == 0
    page.fill("input[name=phone_last4]", last_digits(dossier.applicant_phone))
    page.locator("input[name=phone_last4]").press("Enter")
    page.locator(".pg-timeline").wait_for()
    assert dossier.code in page.content()
    assert dossier.applicant_phone not in page.content()
    shot(page, "track-form-01")
    with page.expect_download() as download:
        page.get_by_role("button", name="Mẫu số 01").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    assert "mau-01-" in download.value.suggested_filename
