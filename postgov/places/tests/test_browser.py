"""The address converter in a real Chromium, with and without JavaScript."""

import pytest
from playwright.sync_api import expect

from postgov.places.loading import load_admin_units

OLD = "Phường 1, thành phố Đông Hà, tỉnh Quảng Trị"


@pytest.mark.browser
def test_converting_an_old_address(page, transactional_db):
    load_admin_units()
    page.goto("/places/convert/")
    address = page.get_by_label("Địa chỉ trước ngày 1/7/2025")
    expect(address).to_be_focused()  # the cursor starts in the field
    address.fill(OLD)
    address.press("Enter")
    expect(page.get_by_test_id("new-address")).to_have_text("Phường Đông Hà, Tỉnh Quảng Trị")
    expect(page.locator("dd", has_text="Thành phố Đông Hà")).to_be_visible()
    expect(page.get_by_label("Địa chỉ trước ngày 1/7/2025")).to_have_value(OLD)
    assert page.url.endswith("/places/convert/")  # the address is not in the URL


@pytest.mark.browser
def test_converting_without_javascript(_playwright_browser, live_server, transactional_db):
    load_admin_units()
    context = _playwright_browser.new_context(
        base_url=live_server.url, java_script_enabled=False, locale="vi-VN"
    )
    try:
        tab = context.new_page()
        tab.goto("/places/convert/")
        tab.fill("#id_address", "phuong 1, tp dong ha, quang tri")
        tab.click("#converter form button[type=submit]")
        expect(tab.get_by_test_id("new-address")).to_have_text("Phường Đông Hà, Tỉnh Quảng Trị")
        expect(tab.locator("#id_address")).to_have_value("phuong 1, tp dong ha, quang tri")
    finally:
        context.close()
