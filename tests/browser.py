"""Small helpers for browser tests."""

import time

from tests.personas import PASSWORD, totp_code


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Password, then (for accounts that need one) the authenticator code of the persona."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#main form button[type=submit]")
    page.wait_for_load_state()
    if "/accounts/login/verify/" in page.url:
        # A code is accepted once: a second login in the same 30 s uses the next step's.
        for at in (time.time(), time.time() + 30):
            page.check("#id_method_0")
            page.fill("#id_code", totp_code(at))
            page.click("#main form button[value=verify]")
            page.wait_for_load_state()
            if "/accounts/login/verify/" not in page.url:
                break


def log_out(page) -> None:
    """Through the user menu in the navigation bar."""
    page.click("nav .pg-user")
    page.locator("nav").get_by_role("button", name="Đăng xuất").click()
    page.wait_for_load_state()
