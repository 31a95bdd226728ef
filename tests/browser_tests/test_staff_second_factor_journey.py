"""A citizen made a clerk while logged in gives the second factor before staff pages; wrong
codes make the next attempt wait (the messages people see, in Vietnamese)."""

import pytest

from postgov.identity.models import Role
from tests.browser import log_in
from tests.personas import PASSWORD, give_role, totp_code

SHOTS = "var/screenshots"


@pytest.mark.browser
def test_a_new_clerk_gives_the_second_factor_before_the_counter(page, citizen, world):
    log_in(page, "citizen")
    give_role(citizen, Role.CLERK, service_point=world.point_a)
    page.goto("/dossiers/today/")
    assert "/accounts/login/step-up/" in page.url
    assert "Các trang dành cho cán bộ" in page.locator("main").inner_text()
    page.screenshot(path=f"{SHOTS}/staff_second_factor_step_up.png", full_page=True)
    page.check("#id_method_0")
    page.fill("#id_code", totp_code())
    page.click("#main form button[value=verify]")
    page.wait_for_load_state()
    assert page.url.endswith("/dossiers/today/")


@pytest.mark.browser
def test_wrong_codes_make_the_clerk_wait(page, clerk_a, settings):
    settings.IDENTITY_MFA_FREE_FAILURES = 2
    page.goto("/accounts/login/")
    page.fill("#id_username", "clerk_a")
    page.fill("#id_password", PASSWORD)
    page.click("#main form button[type=submit]")
    page.wait_for_load_state()
    for _ in range(3):
        page.check("#id_method_0")
        page.fill("#id_code", "000000")
        page.click("#main form button[value=verify]")
        page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert "Nhập sai mã quá nhiều lần. Vui lòng chờ" in text and "giây rồi thử lại" in text
