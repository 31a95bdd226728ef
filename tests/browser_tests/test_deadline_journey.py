"""Deadlines in Chromium, at 19:00 on the due day (the clock pinned): the inbox shows the
dossier late in red, in the "Quá hạn" tab and not in "Sắp đến hạn"; the officer who
publishes its result is asked for the apology and new appointment (Mẫu 04) with it."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from tests.agency_helpers import at, handed_over, move
from tests.browser_tests.test_agency_journey import People, pdf_text, shot
from tests.personas import build_world

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock


@pytest.mark.browser
def test_a_dossier_late_after_hours_and_its_late_result_with_form_04(
    transactional_db, _playwright_browser, live_server
):
    world = build_world()
    dossier = handed_over(world, at("2026-11-30 10:00"))  # due Thursday 03/12 17:00
    move(dossier, "accept", world.agency_receiver, at=at("2026-11-30 11:00"))
    with time_machine.travel(at("2026-12-03 19:00"), tick=True):
        people = People(_playwright_browser, live_server.url)
        try:
            officer = people.tab("officer_a")
            officer.goto(reverse("dossiers:agency_inbox"))
            badge = officer.locator("tr", has_text=dossier.code).locator(".pg-deadline")
            expect(badge).to_have_text("quá hạn từ 17:00 03/12")
            expect(badge).to_have_class("badge text-bg-danger pg-deadline")
            tabs = officer.locator(".nav-tabs")
            expect(tabs.get_by_role("link", name="Quá hạn")).to_contain_text("1")
            expect(tabs.get_by_role("link", name="Sắp đến hạn")).to_contain_text("0")
            shot(officer, "deadline-1-inbox-after-hours")
            tabs.get_by_role("link", name="Quá hạn").click()
            expect(officer.get_by_role("link", name=dossier.code)).to_be_visible()

            officer.get_by_role("link", name=dossier.code).click()
            officer.get_by_role("link", name="Đã có kết quả").click()
            expect(officer.get_by_test_id("late-result")).to_contain_text("Mẫu 04")
            officer.get_by_label("Giấy tờ kết quả").fill("Giấy khai sinh (bản chính)")
            officer.get_by_role("button", name="Xác nhận").click()
            expect(officer.locator(".errorlist").first).to_be_visible()
            expect(officer.get_by_label("Giấy tờ kết quả")).to_have_value(
                "Giấy khai sinh (bản chính)"
            )
            officer.get_by_label("Lý do chậm trả kết quả").fill(
                "Chờ kết quả xác minh của UBND xã nơi cư trú trước đây"
            )
            shot(officer, "deadline-2-late-result-form-04")
            officer.get_by_role("button", name="Xác nhận").click()
            form04 = officer.get_by_role("link", name="Mở Mẫu 04 (PDF)")
            expect(form04).to_be_visible()
            expect(officer.locator(".list-group-item", has_text="Đã có kết quả")).to_contain_text(
                "sau hạn giải quyết"
            )
            shot(officer, "deadline-3-result-with-form-04")
            text = pdf_text(officer, form04.get_attribute("href"))
            assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
            assert "Chờ kết quả xác minh của UBND xã" in text
        finally:
            people.close()
    dossier.refresh_from_db()
    assert dossier.status == "result_ready"
    assert dossier.events.get(action="result_ready").details["late"] is True
