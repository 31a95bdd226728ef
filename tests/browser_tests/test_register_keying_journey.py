"""Blind double keying in a real browser: two operators key the same page of a register
differently, each with the keyboard alone, and a verifier settles the difference."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from postgov.registers import actions, schemas
from postgov.registers.models import Decision, Membership, Record
from tests.browser import log_in, log_out

SHOTS = "var/screenshots"


def scan() -> SimpleUploadedFile:
    image = Image.new("RGB", (900, 600), "white")
    draw = ImageDraw.Draw(image)
    for row, text in enumerate(
        ["Ho ten: Nguyen Van An", "Sinh: 12/05/1985  Nam", "CCCD: 045085000123", "Dong Ha"]
    ):
        draw.text((40, 60 + 60 * row), text, fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("so.png", out.getvalue(), content_type="image/png")


def key_record(page, values: dict) -> None:
    page.locator("#key-next").click()
    page.wait_for_load_state()
    page.wait_for_selector("#f-full_name")
    for key, value in values.items():
        field = page.locator(f"#f-{key}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
            field.focus()
        else:
            field.fill(value)
        field.press("Enter")  # saves the field and moves on
    expect(page.locator("#save-state")).to_have_text("✓")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")  # save and next


@pytest.mark.browser
def test_two_operators_key_a_page_differently_and_a_verifier_settles_it(
    page, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    ready = schemas.ready_schema("population")
    project = actions.create_project(
        by=world.provincial_admin,
        name="Sổ hộ khẩu Đông Hà",
        kind=ready["kind"],
        province=world.province,
        fields=ready["fields"],
        sample_percent=0,
    )
    for user, role in (
        (world.clerk_a, Membership.Role.OPERATOR),
        (world.clerk_b, Membership.Role.OPERATOR),
        (world.supervisor_a, Membership.Role.VERIFIER),
    ):
        actions.add_member(project, user=user, role=role, by=world.provincial_admin)
    actions.add_batch(
        project, uploaded=scan(), label="Quyển 1", pages_per_record=1, by=world.provincial_admin
    )
    entry = {
        "full_name": "Nguyễn Văn An",
        "birth_date": "12/05/1985",
        "gender": "male",
        "id_number": "045085000123",
        "ethnicity": "01",
        "home_commune": "Đông Hà",
        "household_head": "head",
        "phone": "0912345678",
    }

    log_in(page, "clerk_a")
    page.goto(f"/registers/{project.pk}/")
    key_record(page, entry)
    page.goto("/")
    log_out(page)

    log_in(page, "clerk_b")
    page.goto(f"/registers/{project.pk}/")
    page.locator("#key-next").click()
    page.wait_for_load_state()
    assert page.locator("#f-full_name").input_value() == ""  # blind: nothing of clerk_a's
    page.goto(f"/registers/{project.pk}/")
    # A wrong birth date is flagged as it is left, by the server's own rules.
    page.locator("#key-next").click()
    page.wait_for_load_state()
    page.locator("#f-birth_date").fill("31/02/1985")
    page.locator("#f-birth_date").press("Enter")
    expect(page.locator("#e-birth_date")).to_contain_text("dd/mm/yyyy")
    page.screenshot(path=f"{SHOTS}/registers_1_keying_error.png", full_page=True)
    page.goto(f"/registers/{project.pk}/")
    key_record(page, {**entry, "full_name": "Nguyễn Văn Ân"})
    page.goto("/")
    log_out(page)

    record = Record.objects.get(project=project)
    assert record.status == Record.Status.ADJUDICATION

    log_in(page, "supervisor_a")
    page.goto(f"/registers/{project.pk}/")
    page.locator("#verify-next").click()
    page.wait_for_load_state()
    assert page.locator("fieldset").count() == 1  # only the differing field
    page.screenshot(path=f"{SHOTS}/registers_2_settle.png", full_page=True)
    page.locator("#c1-full_name").focus()
    page.keyboard.press("1")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    page.screenshot(path=f"{SHOTS}/registers_3_project.png", full_page=True)
    assert page.locator("#per-operator tbody tr").count() == 2

    record.refresh_from_db()
    assert record.status == Record.Status.SETTLED
    assert record.values["full_name"] == "Nguyễn Văn An"
    decision = Decision.objects.get(record=record)
    assert decision.decided_by == world.supervisor_a and decision.wrong_2 and not decision.wrong_1
