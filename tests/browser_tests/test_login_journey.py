import pytest

from tests.browser import log_in


@pytest.mark.browser
def test_a_clerk_logs_in_and_sees_their_home(page, clerk_a):
    log_in(page, "clerk_a")
    assert page.locator("h1").inner_text().startswith("Xin chào")
    page.get_by_role("link", name="Thủ tục").first.click()
    assert "/catalog/" in page.url
