"""An assisted online session in Chromium: a clerk logs in with the second factor, starts
a session for a citizen, records the citizen's consent (refused before it), ends it with
the portal's dossier code (a malformed code is refused and what was typed stays), records
the fee, prints the receipt, and turns the session into a result-delivery order in one
step; the order's page shows it."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from postgov.assisted.models import AssistanceTariff, AssistedSession
from postgov.dossiers.orders.models import PostalOrder
from tests.browser_tests.test_agency_journey import People, pdf_text
from tests.browser_tests.test_agency_journey import shot as agency_shot
from tests.factories import make_procedure
from tests.personas import build_world

pytestmark = pytest.mark.clock


def shot(tab, name: str) -> None:
    agency_shot(tab, f"assisted-{name}")


@pytest.mark.browser
def test_a_clerk_helps_a_citizen_online_and_the_result_comes_by_post(
    transactional_db, _playwright_browser, live_server
):
    world = build_world()
    procedure = make_procedure().procedure
    AssistanceTariff.objects.create(
        name="Phí hỗ trợ dịch vụ công trực tuyến", valid_from=date(2020, 1, 1), amount=20000
    )
    code = f"{world.agency_a.unit_code}-260310-0042"
    people = People(_playwright_browser, live_server.url)
    try:
        clerk = people.tab("clerk_a")
        clerk.goto("/")
        clerk.get_by_role("link", name="Dịch vụ công trực tuyến").first.click()
        clerk.get_by_role("link", name="Hỗ trợ người dân trực tuyến").click()
        expect(clerk.locator("#main")).to_contain_text("tự đăng nhập")
        clerk.locator("#id_citizen_name").fill("Trần Thị Hoa")
        clerk.locator("#id_citizen_phone").fill("0912345678")
        clerk.locator("#id_procedure").select_option(value=str(procedure.pk))
        shot(clerk, "1-start")
        clerk.get_by_role("button", name="Bắt đầu phiên").click()
        expect(clerk.get_by_test_id("status")).to_have_text("đã bắt đầu, chờ người dân đồng ý")

        # Consent: the box must be ticked by the citizen.
        clerk.get_by_role("button", name="Ghi nhận sự đồng ý").click()
        expect(clerk.locator(".errorlist, .alert-danger").first).to_contain_text("đánh dấu")
        shot(clerk, "2-consent-missing")
        clerk.get_by_label("Người dân đã đọc thông báo").check()
        clerk.get_by_role("button", name="Ghi nhận sự đồng ý").click()
        expect(clerk.locator(".alert-success")).to_contain_text("Đã ghi nhận sự đồng ý")

        # Outcome: a malformed code is refused, the choice stays.
        clerk.get_by_label("Đã nộp trên cổng").check()
        clerk.locator("#id_portal_code").fill("HS-0042")
        clerk.get_by_role("button", name="Kết thúc phiên").click()
        expect(clerk.locator(".errorlist, .alert-danger").first).to_contain_text("HS-0042")
        expect(clerk.locator("#id_portal_code")).to_have_value("HS-0042")
        shot(clerk, "3-bad-code")
        clerk.locator("#id_portal_code").fill(code)
        clerk.get_by_role("button", name="Kết thúc phiên").click()
        expect(clerk.get_by_test_id("outcome")).to_contain_text(code)

        # The fee, then the receipt.
        clerk.get_by_role("button", name="Ghi nhận phí").click()
        expect(clerk.get_by_test_id("fee")).to_contain_text("20.000")
        receipt = clerk.get_by_role("link", name="In biên lai").get_attribute("href")
        text = pdf_text(clerk, receipt)
        assert "BIÊN LAI THU PHÍ" in text and code in text and "20.000" in text
        assert "Hai mươi nghìn đồng" in text
        shot(clerk, "4-closed")

        # The result by post, in one step, pre-filled from the session.
        expect(clerk.locator("#id_recipient_name")).to_have_value("Trần Thị Hoa")
        clerk.locator("#id_address").fill("Số 12 đường Lê Lợi, khu phố 2")
        clerk.locator("#id_commune").select_option(value=str(world.commune_a.pk))
        clerk.get_by_role("button", name="Đặt chuyển phát kết quả").click()
        expect(clerk.locator(".alert-success")).to_contain_text("kết quả sẽ được chuyển phát")
        order = PostalOrder.objects.get()
        expect(clerk.get_by_test_id("order")).to_contain_text(order.code)
        expect(clerk.get_by_role("button", name="Đặt chuyển phát kết quả")).to_have_count(0)
        shot(clerk, "5-ordered")

        clerk.get_by_role("link", name="Mở đơn").click()
        expect(clerk.locator("#main")).to_contain_text(code)
        expect(clerk.locator("#main")).to_contain_text("Trần Thị Hoa")
        shot(clerk, "6-order-page")

        clerk.goto(reverse("assisted:my_day"))
        expect(clerk.get_by_test_id("totals")).to_contain_text("1")
        shot(clerk, "7-my-day")
    finally:
        people.close()

    session = AssistedSession.objects.get()
    assert session.order == order and order.portal_code == code
