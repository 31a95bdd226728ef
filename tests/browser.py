"""Small helpers for browser tests."""

from tests.personas import PASSWORD


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    # The navbar's language switcher is a form too: click the login form's own button.
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
