"""A citizen changes their address on a phone: the commune is typed, suggested and picked,
without a list of every commune in the page."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from postgov.identity.models import User
from tests.browser import log_in
from tests.browser_tests.test_intake_journey import shot
from tests.browser_tests.test_registration_journey import pick_commune

pytestmark = pytest.mark.browser


def test_a_citizen_types_a_commune_and_picks_it(page, world):
    cache.clear()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "citizen")
    page.goto("/accounts/me/profile/")
    assert page.locator("option").count() <= 30
    page.locator("#id_current_commune").press_sequentially("đồng", delay=30)
    suggestions = page.locator("#id_current_commune_suggestions li")
    suggestions.first.wait_for()
    shot(page, "profile-commune-suggestions-phone")
    page.locator("#id_current_commune").fill("")
    pick_commune(page, "#id_current_commune", "dong hoi", "Phường Đồng Hới, Tỉnh Quảng Trị")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url("**/accounts/me/")
    assert User.objects.get(pk=world.citizen.pk).current_commune == world.commune_b
    cache.clear()
