"""The whole digitisation loop in a real browser: a project manager creates a project, adds
its people and uploads a scanned PDF; two operators key the same page differently, blind;
a verifier settles it, and the check at settling finds that the register already holds the
same person (keyed earlier without marks, day and month swapped); the verifier merges the
pair; the manager reads the dashboard, exports, downloads the ZIP and its manifest checks
out (`exports.verify`, what `registers_verify_export` runs)."""

import io

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from postgov.registers import dedup_actions, exports
from postgov.registers.models import DuplicateCandidate, Job, Project, Record
from postgov.registers.tests.test_sources import run_jobs
from tests.browser import log_in, log_out
from tests.browser_tests.test_register_dedup_journey import ENTRY, TWIN, settle
from tests.browser_tests.test_register_keying_journey import key_record

SHOTS = "var/screenshots"


def scanned_pdf(tmp_path) -> str:
    """Two pages of a household book, as a scanner would give them."""
    pages = []
    for lines in (
        ["Ho ten: Nguyen Van An", "Sinh: 05/12/1985  Nam", "Dong Ha"],
        ["Ho ten: Nguyen Van An", "Sinh: 12/05/1985  Nam", "CCCD: 045085000123"],
    ):
        image = Image.new("RGB", (850, 1100), "white")
        draw = ImageDraw.Draw(image)
        for row, text in enumerate(lines):
            draw.text((60, 80 + 60 * row), text, fill="black")
        pages.append(image)
    path = tmp_path / "so-ho-khau.pdf"
    pages[0].save(path, format="PDF", save_all=True, append_images=pages[1:])
    return str(path)


def add_member(page, user, role: str) -> None:
    page.locator("#id_username").fill(user.username)
    page.locator("#id_role").select_option(role)
    with page.expect_navigation():
        page.locator("form[action$='/members/'] button").click()
    expect(page.locator("body")).to_contain_text(user.full_name)


@pytest.mark.browser
def test_the_whole_loop_from_scans_to_a_checked_export(page, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"

    # The manager creates the project and uploads the scans.
    log_in(page, "admin_qt")
    page.goto("/registers/new/")
    page.locator("#id_name").fill("Sổ hộ khẩu Đông Hà")
    page.locator("#id_schema").select_option("population")
    page.locator("#id_province").select_option(str(world.province.pk))
    page.locator("#id_sample_percent").fill("0")
    with page.expect_navigation():
        page.locator("#main form button.btn-primary").click()
    project = Project.objects.get()
    for user, role in (
        (world.clerk_a, "operator"),
        (world.clerk_b, "operator"),
        (world.supervisor_a, "verifier"),
    ):
        add_member(page, user, role)
    page.goto(f"/registers/{project.pk}/upload/")
    page.locator("#id_file").set_input_files(scanned_pdf(tmp_path))
    page.locator("#id_label").fill("Quyển 1")
    with page.expect_navigation():
        page.locator("#main form button.btn-primary").click()
    run_jobs()  # the worker renders the pages
    page.goto(f"/registers/{project.pk}/")
    expect(page.locator("body")).to_contain_text("Quyển 1")
    page.screenshot(path=f"{SHOTS}/registers_loop_1_project.png", full_page=True)
    assert Record.objects.filter(project=project).count() == 2
    log_out(page)

    # Keyed and settled earlier: the same person without marks, day and month swapped.
    earlier = settle(project, world, TWIN)

    # Two operators key the other page, blind, one of them with a slip in the name.
    log_in(page, "clerk_a")
    page.goto(f"/registers/{project.pk}/")
    key_record(page, ENTRY)
    page.goto("/")
    log_out(page)
    log_in(page, "clerk_b")
    page.goto(f"/registers/{project.pk}/")
    page.locator("#key-next").click()
    page.wait_for_load_state()
    assert page.locator("#f-full_name").input_value() == ""  # blind
    page.screenshot(path=f"{SHOTS}/registers_loop_2_keying.png", full_page=True)
    page.goto(f"/registers/{project.pk}/")
    key_record(page, {**ENTRY, "full_name": "Nguyễn Văn Ân"})
    page.goto("/")
    log_out(page)
    new = Record.objects.exclude(pk=earlier.pk).get(project=project)
    assert new.status == Record.Status.ADJUDICATION

    # The verifier settles the difference; the register already holds this person.
    log_in(page, "supervisor_a")
    page.goto(f"/registers/{project.pk}/")
    page.locator("#verify-next").click()
    page.wait_for_load_state()
    page.locator("#c1-full_name").focus()
    page.keyboard.press("1")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    new.refresh_from_db()
    assert new.status == Record.Status.SETTLED and new.values["full_name"] == "Nguyễn Văn An"
    candidate = DuplicateCandidate.objects.get(project=project)
    assert set(candidate.records.values_list("pk", flat=True)) == {earlier.pk, new.pk}

    page.goto(f"/registers/{project.pk}/duplicates/")
    rows = page.locator("#candidates tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").click()
    page.wait_for_load_state()
    page.screenshot(path=f"{SHOTS}/registers_loop_3_pair.png", full_page=True)
    # The record just settled stays; it already has the values with marks.
    page.locator(f"#survivor-{new.pk}").check()
    for key in ("full_name", "birth_date", "id_number"):
        page.locator(f"#v-{key}-{new.pk}").check()
    with page.expect_navigation():
        page.locator("#merge").click()
    expect(page.locator("#candidate-status")).to_have_text("Đã gộp")
    clean = set(dedup_actions.clean_records(project).values_list("pk", flat=True))
    assert clean == {new.pk}
    log_out(page)

    # The manager reads the dashboard, exports, and the download checks out.
    log_in(page, "admin_qt")
    page.goto(f"/registers/{project.pk}/")
    page.locator("#dashboard").click()
    page.wait_for_load_state()
    expect(page.locator("#dashboard-progress tfoot")).to_contain_text("2")
    expect(page.locator("#dashboard-duplicates")).to_contain_text("Đã gộp")
    expect(page.locator("svg[role=img]")).to_have_count(6)
    page.screenshot(path=f"{SHOTS}/registers_loop_4_dashboard.png", full_page=True)
    page.goto(f"/registers/{project.pk}/")
    with page.expect_navigation():
        page.locator("#export-start").click()
    run_jobs()
    expect(page.locator("#export-download")).to_be_visible(timeout=10_000)
    with page.expect_download() as info:
        page.locator("#export-download").click()
    downloaded = info.value.path().read_bytes()
    assert exports.verify(io.BytesIO(downloaded)) == []
    job = Job.objects.get(kind=Job.Kind.EXPORT)
    assert job.result["records"] == 1  # the merged pair is exported once
    page.screenshot(path=f"{SHOTS}/registers_loop_5_export.png", full_page=True)
