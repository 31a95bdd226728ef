"""A citizen follows a dossier on the public tracking page in Chromium: the dossier code
and the last 4 phone digits, then the receipt and appointment slip (Form 01) as a PDF."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from postgov.lib.phones import last_digits
from tests.agency_helpers import handed_over
from tests.browser_tests.test_intake_journey import shot

pytestmark = pytest.mark.browser


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
