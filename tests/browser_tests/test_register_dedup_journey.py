"""Deduplication in a real browser: a person keyed twice (once without marks, with day and
month swapped) is caught when the second record settles; a verifier opens the list of
possible duplicates, compares the two side by side with their scans, keeps the value with
marks and merges them, then undoes the merge."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from postgov.registers import actions, dedup_actions, schemas
from postgov.registers.models import DuplicateCandidate, Membership, Record
from postgov.registers.tests.conftest import run_duplicate_checks
from tests.browser import log_in

SHOTS = "var/screenshots"
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
TWIN = {**ENTRY, "full_name": "Nguyen Van An", "birth_date": "05/12/1985", "id_number": ""}


def scans() -> SimpleUploadedFile:
    pages = []
    for lines in (
        ["Ho ten: Nguyen Van An", "Sinh: 12/05/1985  Nam", "CCCD: 045085000123"],
        ["Ho ten: Nguyen Van An", "Sinh: 05/12/1985  Nam", "Dong Ha"],
    ):
        image = Image.new("RGB", (900, 600), "white")
        draw = ImageDraw.Draw(image)
        for row, text in enumerate(lines):
            draw.text((40, 60 + 60 * row), text, fill="black")
        pages.append(image)
    out = io.BytesIO()
    pages[0].save(out, format="TIFF", save_all=True, append_images=pages[1:])
    return SimpleUploadedFile("so.tif", out.getvalue(), content_type="image/tiff")


def settle(project, world, values) -> Record:
    for operator in (world.clerk_a, world.clerk_b):
        keying = actions.next_keying(project, operator)
        assert actions.submit_keying(keying.pk, values, operator=operator) == {}
    run_duplicate_checks()  # queued with the settling, run by the worker
    return Record.objects.get(pk=keying.record_id)


@pytest.mark.browser
def test_a_verifier_merges_a_planted_pair_and_undoes_it(page, world, settings, tmp_path):
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
        project, uploaded=scans(), label="Quyển 1", pages_per_record=1, by=world.provincial_admin
    )
    original = settle(project, world, ENTRY)
    twin = settle(project, world, TWIN)  # caught once it settles
    candidate = DuplicateCandidate.objects.get()

    log_in(page, "supervisor_a")
    page.goto(f"/registers/{project.pk}/")
    page.locator("#duplicates").click()
    page.wait_for_load_state()
    rows = page.locator("#candidates tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("••••••••0123")  # the list masks ID numbers
    assert "045085000123" not in page.content()
    page.screenshot(path=f"{SHOTS}/registers_dedup_1_queue.png", full_page=True)

    rows.first.get_by_role("link").click()
    page.wait_for_load_state()
    table = page.locator("#side-by-side")
    expect(table).to_contain_text("Nguyễn Văn An")
    expect(table).to_contain_text("Nguyen Van An")
    expect(page.locator("tr[data-differs]")).to_have_count(3)  # name, birth date, ID
    expect(page.locator("#side-by-side img")).to_have_count(2)  # both scans
    page.screenshot(path=f"{SHOTS}/registers_dedup_2_side_by_side.png", full_page=True)

    # Keep the twin's row, the original's values; with the keyboard alone.
    page.locator(f"#survivor-{twin.pk}").focus()
    page.keyboard.press("Space")
    for key in ("full_name", "birth_date", "id_number"):
        page.locator(f"#v-{key}-{original.pk}").focus()
        page.keyboard.press("Space")
    page.locator("#merge").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#candidate-status")).to_have_text("Đã gộp")
    expect(page.locator("#decision")).to_contain_text(str(twin.pk))
    page.screenshot(path=f"{SHOTS}/registers_dedup_3_merged.png", full_page=True)
    twin.refresh_from_db()
    assert twin.values["full_name"] == "Nguyễn Văn An"
    assert twin.values["birth_date"] == "12/05/1985"
    clean = set(dedup_actions.clean_records(project).values_list("pk", flat=True))
    assert clean == {twin.pk}

    with page.expect_navigation():
        page.locator("#undo").click()
    expect(page.locator("#candidate-status")).to_have_text("Cần xem xét")
    twin.refresh_from_db()
    assert twin.values["full_name"] == "Nguyen Van An"
    candidate.refresh_from_db()
    assert candidate.status == DuplicateCandidate.Status.OPEN
