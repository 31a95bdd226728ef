"""A provincial administrator's month in figures, in Chromium: from the reports dashboard
(its charts beside their tables) to the service figures (charts drawn), a period chosen,
the XLSX and CSV exports read back, and the monthly report PDF read with pdftotext."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from playwright.sync_api import expect

from postgov.reports.rollups import update_day
from postgov.reports.tests.test_rollups import _generate
from postgov.reports.tests.test_service_figures import EVERY_DAY, _more
from tests.browser import log_in
from tests.browser_tests.test_intake_journey import SHOTS, shot

pytestmark = pytest.mark.clock


def _shot_path(name: str) -> str:
    os.makedirs(SHOTS, exist_ok=True)
    return os.path.join(SHOTS, f"{name}.png")


def _pdf_text(pdf: bytes) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "poppler-utils (pdftotext) is needed to read the monthly report"
    done = subprocess.run(  # noqa: S603 - a fixed tool reading our own PDF
        [tool, "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode()


@pytest.mark.browser
def test_the_provincial_admin_reads_and_exports_the_months_figures(page, world):
    made = _generate(world)
    _more(world, made)
    for day in EVERY_DAY:
        update_day(day)
    log_in(page, "admin_qt")
    page.goto(reverse("reports:dashboard"))
    # The dashboard's charts, each beside its table.
    board = page.locator("svg.report-chart")
    expect(board.first).to_be_visible()
    assert board.count() == 4
    for section in ("#open-legs", "#month-days", "#on-time"):
        expect(page.locator(f"{section} svg.report-chart").first).to_be_visible()
        expect(page.locator(f"{section} table")).to_be_visible()
    shot(page, "reports-dashboard-charts")
    page.get_by_role("link", name="Số liệu phục vụ").click()
    page.wait_for_load_state()
    page.fill("#id_date_from", "2026-11-22")
    page.fill("#id_date_to", "2026-12-02")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_load_state()
    assert "date_from=2026-11-22" in page.url
    charts = page.locator("svg.report-chart")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 5
    queues = page.locator("#queues")
    expect(queues.locator("svg.report-chart")).to_be_visible()
    expect(queues.locator("tbody tr").last).to_contain_text("23,3")  # mean wait, minutes
    expect(page.locator("#index_points")).to_contain_text(world.point_a.name)
    shot(page, "reports-service-figures")
    page.locator("#queues svg").screenshot(path=_shot_path("reports-chart-queues"))
    page.locator("#index svg").screenshot(path=_shot_path("reports-chart-index"))

    with page.expect_download() as info:
        page.get_by_role("link", name="Xuất Excel").click()
    workbook = load_workbook(io.BytesIO(info.value.path().read_bytes()))
    assert "Phòng chờ" in workbook.sheetnames
    sheet = workbook["Phòng chờ"]
    header = [cell.value for cell in sheet[3]]
    assert header[1] == "Số vé đã phát"
    assert sheet.cell(sheet.max_row, 2).value == 3  # three tickets in the period
    assert info.value.suggested_filename == "chi-so-dich-vu-20261122-20261202.xlsx"

    with page.expect_download() as info:
        page.get_by_role("link", name="Xuất CSV").click()
    rows = list(csv.reader(io.StringIO(info.value.path().read_bytes().decode("utf-8-sig"))))
    assert ["Phòng chờ"] in rows
    start = rows.index(["Phòng chờ"])
    assert rows[start + 1][1] == "Số vé đã phát"
    totals = next(row for row in rows[start:] if row and row[0] == "Tổng cộng")
    assert float(totals[1]) == 3

    with page.expect_download() as info:
        page.get_by_role("link", name="Báo cáo gửi tỉnh (PDF, tiếng Việt)").click()
    text = _pdf_text(info.value.path().read_bytes())
    assert "BÁO CÁO KẾT QUẢ TIẾP NHẬN" in text
    assert "Từ ngày 22/11/2026 đến ngày 02/12/2026" in text
    assert "Phòng chờ" in text and "Chỉ số phục vụ theo bưu cục" in text
    flat = " ".join(text.split())  # names wrap inside the table cells
    assert "Bưu điện Đông Hà" in flat and "Trung tâm Phục vụ" in flat
