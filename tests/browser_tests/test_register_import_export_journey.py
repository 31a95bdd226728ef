"""A project manager imports a small spreadsheet in a real browser (a file with a bad row
first, refused whole with its row and column named, then the corrected file), follows the
import's progress to the end, exports the settled records, downloads the ZIP and the
hand-over record, and the manifest's hashes are checked."""

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from postgov.registers import actions, schemas
from postgov.registers.models import Job, Record
from postgov.registers.tests.test_sources import run_jobs
from tests.browser import log_in

SHOTS = "var/screenshots"
HEADER = (
    "Họ và tên,Ngày sinh,Giới tính,Số định danh cá nhân,Dân tộc,Nơi thường trú,"
    "Quan hệ với chủ hộ,Số điện thoại"
)
GOOD_ROWS = [
    "Nguyễn Văn An,12/05/1985,Nam,045085000123,Kinh,Đông Hà,Chủ hộ,0912345678",
    "Trần Thị Bình,1990,Nữ,,Kinh,Đông Hà,Vợ/chồng,",
    "Lê Văn Cường,03/2012,Nam,,Kinh,Đông Hà,Con,",
]
BAD_ROW = "Phạm Thị Dung,31/02/1985,Nữ,,Kinh,Đông Hà,Con,"


def import_csv(page, project, path, wait_for: str) -> None:
    page.goto(f"/registers/{project.pk}/")
    page.locator("#import-start").click()
    page.locator("#id_file").set_input_files(str(path))
    page.locator("#id_mode_1").check()  # already typed
    with page.expect_navigation():
        page.locator("#import-form button.btn-primary").click()
    expect(page.locator("#mapping-form")).to_be_visible()
    # "Nơi thường trú" is the label without its "(xã, phường)"; the manager picks it.
    page.locator("#id_home_commune").select_option(label="F · Nơi thường trú")
    page.screenshot(path=f"{SHOTS}/registers_import_1_mapping.png", full_page=True)
    with page.expect_navigation():
        page.locator("#start-import").click()
    run_jobs()  # the worker
    expect(page.locator(wait_for)).to_be_visible(timeout=10_000)


@pytest.mark.browser
def test_a_manager_imports_a_spreadsheet_exports_and_hands_over(page, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ready = schemas.ready_schema("population")
    project = actions.create_project(
        by=world.provincial_admin,
        name="Sổ hộ khẩu Đông Hà",
        kind=ready["kind"],
        province=world.province,
        fields=ready["fields"],
    )
    bad = tmp_path / "so-loi.csv"
    bad.write_text("\n".join([HEADER, *GOOD_ROWS, BAD_ROW]) + "\n", encoding="utf-8-sig")
    good = tmp_path / "so.csv"
    good.write_text("\n".join([HEADER, *GOOD_ROWS]) + "\n", encoding="utf-8-sig")

    log_in(page, "admin_qt")
    import_csv(page, project, bad, ".pg-job .alert-danger")
    failure = page.locator(".pg-job .alert-danger")
    expect(failure).to_contain_text("Dòng 5, cột B (Ngày sinh)")
    page.screenshot(path=f"{SHOTS}/registers_import_2_refused.png", full_page=True)
    assert not Record.objects.exists()

    import_csv(page, project, good, "#import-done")
    expect(page.locator("#import-done")).to_contain_text("3")
    page.reload()  # the finished job's page still says so after a reload
    expect(page.locator("#import-done")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/registers_import_3_done.png", full_page=True)
    assert Record.objects.filter(status=Record.Status.SETTLED).count() == 3

    page.goto(f"/registers/{project.pk}/")
    with page.expect_navigation():
        page.locator("#export-start").click()
    run_jobs()
    expect(page.locator("#export-download")).to_be_visible(timeout=10_000)
    page.screenshot(path=f"{SHOTS}/registers_export_1_done.png", full_page=True)
    with page.expect_download() as info:
        page.locator("#export-download").click()
    downloaded = info.value.path().read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(downloaded))
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    assert [row[0] for row in manifest["records"]["list"]] == list(
        Record.objects.order_by("pk").values_list("pk", flat=True)
    )

    handover = page.request.get(page.locator("#export-handover").get_attribute("href"))
    assert handover.status == 200
    assert handover.headers["content-type"] == "application/pdf"
    assert handover.body().startswith(b"%PDF")
    # Kept beside the screenshots, to be looked at (a PDF does not show in headless Chromium).
    Path(SHOTS, "registers_export_handover.pdf").write_bytes(handover.body())
    job = Job.objects.get(kind=Job.Kind.EXPORT)
    assert job.result["sha256"] == hashlib.sha256(downloaded).hexdigest()
