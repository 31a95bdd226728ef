"""Four eyes in a real browser: one provincial administrator asks for a role in the admin,
a second one sees it waiting, reads what it changes and approves it; only then does the
role exist."""

import pytest

from postgov.identity.models import Role, RoleAssignment
from tests.browser import log_in, log_out
from tests.personas import give_role, make_user

SHOTS = "var/screenshots"


@pytest.mark.browser
def test_a_role_grant_takes_effect_once_a_second_admin_approves(page, world):
    second = make_user("admin_qt2", "Hồ Thị Phương", is_staff=True)
    give_role(second, Role.PROVINCIAL_ADMIN, province=world.province)

    # The first administrator opens the clerk's account and asks for a supervisor role.
    log_in(page, "admin_qt")
    page.goto(f"/admin/identity/user/{world.clerk_b.pk}/change/")
    page.locator(".field-roles_held a[href*='roleassignment/add']").click()
    page.wait_for_load_state()
    page.select_option("#id_role", Role.SUPERVISOR)
    # The service point comes from the admin's autocomplete (their province's points).
    page.locator(".field-service_point .select2-selection").click()
    page.locator(".select2-search__field").fill("Đồng Hới")
    page.locator(".select2-results__option", has_text="Bưu điện Đồng Hới").click()
    page.screenshot(path=f"{SHOTS}/four_eyes_1_request.png", full_page=True)
    page.click("input[name=_save]")
    page.wait_for_load_state()
    assert "/admin/identity/changerequest/" in page.url
    assert page.locator("#decision").count() == 1
    assert page.locator("#decision button[value=approve]").count() == 0  # not theirs to decide
    page.screenshot(path=f"{SHOTS}/four_eyes_2_waiting.png", full_page=True)
    assert not RoleAssignment.objects.filter(user=world.clerk_b, role=Role.SUPERVISOR).exists()
    page.goto("/")
    log_out(page)

    # The second administrator finds it on the admin's index and approves it.
    log_in(page, "admin_qt2")
    page.goto("/admin/")
    page.locator("#changes-awaiting-me a").click()
    page.wait_for_load_state()
    page.locator("#result_list a", has_text="clerk_b").first.click()
    page.wait_for_load_state()
    assert "Bưu điện Đồng Hới" in page.locator(".pg-change-diff").inner_text()
    page.screenshot(path=f"{SHOTS}/four_eyes_3_decision.png", full_page=True)
    page.click("#decision button[value=approve]")
    page.wait_for_load_state()
    page.screenshot(path=f"{SHOTS}/four_eyes_4_approved.png", full_page=True)
    assert page.locator("#decision").count() == 0  # decided

    granted = RoleAssignment.objects.get(user=world.clerk_b, role=Role.SUPERVISOR)
    assert granted.active and granted.service_point == world.point_b
