"""A citizen creates a PostID account in Chromium: the form (a mistake keeps what was
typed), the check that comes after repeated registrations from one connection (solved
by the page's script, or by waiting without JavaScript), the SMS code, then the account
— created only now."""

from __future__ import annotations

import os

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from postgov.identity.models import User
from postgov.notify.models import Message
from tests.browser_tests.test_intake_journey import SHOTS, shot

pytestmark = pytest.mark.browser

PASSWORD = "mây trắng bay qua đồi"


def pick_commune(page, field: str, typed: str, label: str) -> None:
    """Types part of a commune's name and picks it among the suggestions."""
    page.locator(field).press_sequentially(typed, delay=30)
    page.locator(f"{field}_suggestions li", has_text=label).click()
    assert page.input_value(field) == label


def fill_the_form(
    page, world, username: str, phone: str, password2: str = PASSWORD, *, script: bool = True
) -> None:
    page.goto("/accounts/register/")
    page.fill("#id_username", username)
    page.fill("#id_full_name", "Trần Văn An")
    page.select_option("#id_gender", "male")
    page.fill("#id_birth_date", "17/05/1990")
    page.fill("#id_declared_id_number", "045090123456")
    page.fill("#id_phone", phone)
    page.fill("#id_permanent_address", "1 Lê Lợi")
    if script:
        pick_commune(page, "#id_permanent_commune", "dong ha", "Phường Đông Hà, Tỉnh Quảng Trị")
    else:  # the name typed whole, resolved by the server
        page.fill("#id_permanent_commune", "Đông Hà, Quảng Trị")
    page.fill("#id_current_address", "1 Lê Lợi")
    page.fill("#id_current_commune", "phuong dong hoi")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", password2)


def code_sent_to(phone: str) -> str:
    return (
        Message.objects.filter(recipient=phone)
        .latest("created_at")
        .outgoing()[1]
        .split("la ")[1][:6]
    )


def test_a_citizen_registers_through_the_check(page, world, settings):
    cache.clear()
    settings.REGISTER_CHALLENGE_AFTER = 0  # every registration from here is checked
    settings.CHALLENGE_BITS = 12
    fill_the_form(page, world, "tran.an", "0987 654 321", password2="something else")
    shot(page, "register-1-form")
    page.get_by_role("button", name="Tạo tài khoản").click()
    assert page.input_value("#id_full_name") == "Trần Văn An"  # nothing typed is lost
    assert page.locator("#id_password2_error").count() == 1
    shot(page, "register-2-mistake")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="Tạo tài khoản").click()
    # The check: the page's script works it out and goes on by itself.
    page.wait_for_url("**/accounts/register/verify/")
    assert not User.objects.filter(username="tran.an").exists()
    shot(page, "register-3-code")
    page.fill("#id_code", code_sent_to("0987654321"))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url("**/accounts/me/")
    user = User.objects.get(username="tran.an")
    assert user.phone_verified_at is not None
    assert (user.permanent_commune, user.current_commune) == (world.commune_a, world.commune_b)
    shot(page, "register-4-account")


def test_without_javascript_the_check_is_a_short_wait(
    _playwright_browser, live_server, world, settings
):
    cache.clear()
    settings.REGISTER_CHALLENGE_AFTER = 0
    settings.CHALLENGE_WAIT_SECONDS = 2
    context = _playwright_browser.new_context(
        base_url=live_server.url,
        locale="vi-VN",
        viewport={"width": 390, "height": 844},
        java_script_enabled=False,
    )
    try:
        page = context.new_page()
        fill_the_form(page, world, "le.binh", "0912 000 111", script=False)
        page.get_by_role("button", name="Tạo tài khoản").click()
        page.wait_for_url("**/accounts/register/check/")
        assert page.get_by_text("không chạy JavaScript").is_visible()
        shot(page, "register-check-no-javascript")
        page.get_by_role("button", name="Tiếp tục").click()  # too early
        assert page.get_by_role("alert").is_visible()
        shot(page, "register-check-too-early")
        page.wait_for_timeout(2_500)
        page.get_by_role("button", name="Tiếp tục").click()
        page.wait_for_url("**/accounts/register/verify/")
        page.fill("#id_code", code_sent_to("0912000111"))
        page.get_by_role("button", name="Xác nhận").click()
        page.wait_for_url("**/accounts/me/")
        user = User.objects.get(username="le.binh", phone_verified_at__isnull=False)
        assert (user.permanent_commune, user.current_commune) == (world.commune_a, world.commune_b)
    finally:
        context.close()
    assert os.path.isdir(SHOTS) and django_settings.CHALLENGE_WAIT_SECONDS == 2
