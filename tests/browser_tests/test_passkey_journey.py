"""Passkeys in a real browser: Chromium's virtual authenticator (through the DevTools
protocol) plays the phone. The citizen adds a passkey on the second-factor page, logs out,
and logs in again with password + passkey."""

import pytest

from postgov.identity.models import UserSession
from tests.browser import log_in, log_out
from tests.personas import PASSWORD

SHOTS = "var/screenshots"


def add_virtual_authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


@pytest.mark.browser
def test_citizen_adds_a_passkey_and_logs_in_with_it(page, citizen):
    add_virtual_authenticator(page)
    log_in(page, "citizen")  # no second factor yet: the password is enough

    page.goto("/accounts/me/security/")
    page.locator("#passkey-add").click()  # shown only because the browser knows WebAuthn
    page.fill("#id_name", "Điện thoại Nam")
    page.get_by_role("button", name="Tạo khóa truy cập").click()
    page.wait_for_url("**/accounts/me/security/")
    assert page.locator("#passkeys input[name=name]").input_value() == "Điện thoại Nam"
    page.screenshot(path=f"{SHOTS}/passkey_1_added.png", full_page=True)
    log_out(page)

    page.goto("/accounts/login/")
    page.fill("#id_username", "citizen")
    page.fill("#id_password", PASSWORD)
    page.click("#main form button[type=submit]")
    page.wait_for_url("**/accounts/login/verify/")
    page.screenshot(path=f"{SHOTS}/passkey_2_second_step.png", full_page=True)
    page.get_by_role("button", name="Dùng khóa truy cập").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    row = UserSession.objects.filter(user=citizen).latest("pk")
    assert {"pwd", "hwk", "user", "mfa"} <= set(row.amr)
    passkey = citizen.passkeys.get()
    assert passkey.last_used_at is not None
