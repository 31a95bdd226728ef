"""Immediate verification in a real browser: the second operator keys a name differently,
is told to key it again from the scan without seeing the first entry, and the record
settles on their decision; the keys they pressed are counted."""

import pytest
from playwright.sync_api import expect

from postgov.registers import actions, schemas
from postgov.registers.models import KeyingEffort, Membership, Project, Record, Rekey
from tests.browser import log_in, log_out
from tests.browser_tests.test_register_keying_journey import SHOTS, key_record, scan

ENTRY = {
    "full_name": "Nguyễn Văn An",
    "birth_date": "12/05/1985",
    "gender": "male",
    "id_number": "045085000123",
    "ethnicity": "01",
    "home_commune": "Đông Hà",
    "household_head": "head",
    "phone": "0912345678",
}


@pytest.mark.browser
def test_the_second_operator_keys_a_differing_field_again(page, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ready = schemas.ready_schema("population")
    project = actions.create_project(
        by=world.provincial_admin,
        name="Sổ hộ khẩu Đông Hà",
        kind=ready["kind"],
        province=world.province,
        fields=ready["fields"],
        keying_mode=Project.KeyingMode.IMMEDIATE,
        sample_percent=0,
    )
    for user in (world.clerk_a, world.clerk_b):
        actions.add_member(
            project, user=user, role=Membership.Role.OPERATOR, by=world.provincial_admin
        )
    actions.add_batch(
        project, uploaded=scan(), label="Quyển 1", pages_per_record=1, by=world.provincial_admin
    )
    log_in(page, "clerk_a")
    page.goto(f"/registers/{project.pk}/")
    key_record(page, ENTRY)
    page.goto("/")
    log_out(page)

    log_in(page, "clerk_b")
    page.goto(f"/registers/{project.pk}/")
    page.locator("#key-next").click()
    page.wait_for_load_state()
    name = page.locator("#f-full_name")
    name.press_sequentially("Nguyễn Văn Ân")
    name.press("Enter")
    expect(page.locator("#e-full_name")).to_contain_text("nhập lại")
    assert name.input_value() == ""  # the first try goes; the first entry is never shown
    assert "Nguyễn Văn An" not in page.content()
    page.screenshot(path=f"{SHOTS}/registers_4_key_again.png", full_page=True)
    name.press_sequentially("Nguyễn Văn An")
    name.press("Enter")
    expect(page.locator("#e-full_name")).to_have_text("")
    for key, value in list(ENTRY.items())[1:]:
        field = page.locator(f"#f-{key}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
            field.focus()
        else:
            field.fill(value)
        field.press("Enter")
    expect(page.locator("#save-state")).to_have_text("✓")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")

    record = Record.objects.get(project=project)
    assert (
        record.status == Record.Status.SETTLED and record.values["full_name"] == ENTRY["full_name"]
    )
    rekey = Rekey.objects.get()
    assert rekey.first_try == "Nguyễn Văn Ân" and rekey.matched_first_entry and rekey.wrong_2
    effort = KeyingEffort.objects.get(keying__operator=world.clerk_b)
    assert effort.keystrokes >= 2 * len("Nguyễn Văn An") and effort.active_seconds > 0
    page.goto(f"/registers/{project.pk}/")
    expect(page.locator("#operator-stats")).to_contain_text("1")
    page.screenshot(path=f"{SHOTS}/registers_5_operator_stats.png", full_page=True)
