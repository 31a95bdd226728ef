"""A clerk looks up a procedure in the catalog from the counter."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from postgov.catalog.demo import load_demo
from tests.browser import log_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_clerk_finds_birth_registration_and_its_documents(page, world):
    load_demo()
    log_in(page, "clerk_a")

    page.goto("/catalog/")
    page.fill("#id_q", "khai sinh")
    page.press("#id_q", "Enter")
    # The unfiltered list has the same link: wait for the search's own page first.
    expect(page).to_have_url(re.compile(r"[?&]q=khai"))
    page.get_by_role("link", name="Đăng ký khai sinh").click()
    # The click starts a navigation; the heading of the new page is what to wait for.
    expect(page.locator("h1")).to_have_text("Đăng ký khai sinh")
    documents = page.locator("table.pg-documents tbody tr")
    assert documents.count() == 5
    assert "Giấy chứng sinh" in documents.nth(1).inner_text()
    assert "15 giờ" in page.locator(".pg-summary").inner_text()
