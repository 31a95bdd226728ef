"""State mail in Chromium: a clerk accepts a Tối mật item and hands it to the postman, who
checks the seal on his own login and delivers it; a supervisor cleared only for Mật scans
its number and is refused."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from postgov.audit.models import AuditEvent
from postgov.statemail import actions
from postgov.statemail.models import Item, Level
from tests.browser_tests.test_agency_journey import People, shot, sign
from tests.personas import build_world

pytestmark = pytest.mark.clock


def clear(world, user, level):
    today = timezone.localdate()
    actions.grant_clearance(
        by=world.provincial_admin,
        user=user,
        level=level,
        province_id=world.province.pk,
        valid_from=today,
        valid_until=today + datetime.timedelta(days=365),
    )


@pytest.mark.browser
def test_accept_hand_over_deliver_and_a_refused_scan(
    transactional_db, _playwright_browser, live_server
):
    world = build_world()
    clear(world, world.clerk_a, Level.TOI_MAT)
    clear(world, world.postman_a, Level.TUYET_MAT)
    clear(world, world.supervisor_a, Level.MAT)
    people = People(_playwright_browser, live_server.url)
    try:
        clerk = people.tab("clerk_a")
        clerk.goto(reverse("statemail:accept"))
        clerk.get_by_label("Độ mật").select_option("toi_mat")
        clerk.get_by_label("Cơ quan gửi").fill("Văn phòng Tỉnh ủy Quảng Trị")
        clerk.get_by_label("Cơ quan nhận").fill("Ban Tổ chức Trung ương")
        clerk.get_by_label("Người mang đến (giao liên bên gửi)").fill("Hồ Văn Tâm")
        clerk.get_by_label("Số niêm phong (phong bì ngoài)").fill("NP-7731")
        clerk.get_by_role("button", name="Nhận gửi").click()
        expect(clerk.locator(".alert-success")).to_contain_text("Đã nhận gửi bưu gửi")
        item = Item.objects.get()
        assert item.mark == "B"

        clerk.get_by_label("Bàn giao cho").select_option(str(world.postman_a.pk))
        clerk.get_by_label("Nơi giao nhận").fill("Bưu điện Đông Hà, quầy 2")
        clerk.get_by_role("button", name="Bàn giao").click()
        expect(clerk.locator(".alert-success")).to_contain_text("Bên giao đã ký")

        postman = people.tab("postman_a")
        postman.goto(reverse("statemail:items"))
        postman.get_by_role("link", name=item.item_number).click()
        postman.get_by_label("Số niêm phong đọc được (phong bì ngoài)").fill("NP-7731")
        postman.get_by_role("button", name="Ký nhận").click()
        expect(postman.locator(".alert-success")).to_contain_text("Niêm phong đúng")

        postman.get_by_label("Họ tên người nhận").fill("Lê Thị Hoa")
        postman.get_by_label("Số định danh người nhận (đã đối chiếu trên thẻ)").fill("044190000456")
        postman.get_by_label("Số niêm phong đọc được (phong bì ngoài)").fill("NP-7731")
        sign(postman, postman.locator("[data-signature-pad]"))
        postman.get_by_role("button", name="Phát", exact=True).click()
        expect(postman.locator(".alert-success")).to_contain_text("chuỗi giao nhận kết thúc")
        expect(postman.locator("table")).to_contain_text("Phát cho người nhận")
        shot(postman, "state-mail-delivered")
        item.refresh_from_db()
        assert item.state == Item.State.DELIVERED

        supervisor = people.tab("supervisor_a")
        supervisor.goto(reverse("statemail:items"))
        supervisor.get_by_label("Số hiệu bưu gửi").fill(item.item_number)
        supervisor.get_by_role("button", name="Mở").click()
        expect(supervisor.locator(".alert-danger")).to_contain_text(
            "Bạn chưa được cấp phép tiếp cận bưu gửi độ Tối mật"
        )
        shot(supervisor, "state-mail-refused-scan")
        assert AuditEvent.objects.filter(
            action="statemail.refused", actor_id=world.supervisor_a.pk
        ).exists()
    finally:
        people.close()
