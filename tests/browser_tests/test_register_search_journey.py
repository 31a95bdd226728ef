"""Finding a social-insurance file in a real browser: a page read by Tesseract and keyed
twice is found by its name typed without diacritics, opened beside its text, and its
archive PDF is offered for download."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from postgov.registers import actions, archive, ocr_jobs, schemas
from postgov.registers.models import Membership, Page, Record
from postgov.registers.tests import pages
from tests.browser import log_in

SHOTS = "var/screenshots"


@pytest.mark.browser
def test_a_file_is_found_by_its_name_without_diacritics(page, world, settings, tmp_path, tesseract):
    settings.MEDIA_ROOT = tmp_path / "media"
    ready = schemas.ready_schema("social_insurance")
    admin = world.provincial_admin
    project = actions.create_project(
        by=admin,
        name="Hồ sơ BHXH Đông Hà",
        kind=ready["kind"],
        province=world.province,
        fields=ready["fields"],
        sample_percent=0,
    )
    for user, role in (
        (world.clerk_a, Membership.Role.OPERATOR),
        (world.clerk_b, Membership.Role.OPERATOR),
    ):
        actions.add_member(project, user=user, role=role, by=admin)
    scan = SimpleUploadedFile("to-khai.png", pages.page(pages.TEXTS[0], pages.CLEAN_300))
    actions.add_batch(project, uploaded=scan, label="Hộp 17", pages_per_record=1, by=admin)
    ocr_jobs.read_and_keep(Page.objects.get(record__project=project))
    values = {
        "si_code": "4512345678",
        "full_name": "Nguyễn Văn Dũng",
        "birth_date": "12/05/1985",
        "gender": "male",
        "id_number": "045085000123",
        "start_date": "03/2010",
        "box": "17",
        "retention": "70y",
    }
    for operator in (world.clerk_a, world.clerk_b):
        keying = actions.next_keying(project, operator)
        assert actions.submit_keying(keying.pk, values, operator=operator) == {}
    record = Record.objects.get(project=project, status=Record.Status.SETTLED)
    archive.make_file(record)

    log_in(page, "admin_qt")
    page.goto(f"/registers/{project.pk}/")
    expect(page.locator("#text-settings")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/registers_6_project_text_settings.png", full_page=True)
    page.locator("#search-records").click()
    page.wait_for_load_state()
    page.locator("#q").fill("nguyen van dung dong ha")
    with page.expect_navigation():
        page.locator("#q").press("Enter")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Nguyễn Văn Dũng")
    expect(page.locator("#results")).to_contain_text("••••••••0123")
    page.screenshot(path=f"{SHOTS}/registers_4_search.png", full_page=True)

    page.locator("#results tbody a").first.click()
    page.wait_for_load_state()
    expect(page.locator("#archive-pdf")).to_be_visible()
    expect(page.locator("pre")).to_contain_text("Đông Hà")
    page.screenshot(path=f"{SHOTS}/registers_5_found_record.png", full_page=True)
