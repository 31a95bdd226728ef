"""State mail in Chromium: a clerk accepts a Tối mật item whose sender asks for a guard and
hands it to the postman with the guard named; the postman checks the seal on his own login
while the guard signs on his screen, and delivers it with the recipient's and the guard's
signatures; the delivery book prints them all; a supervisor cleared only for Mật scans its
number and is refused."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from postgov.audit.models import AuditEvent
from postgov.statemail import actions
from postgov.statemail.models import Item, Level
from tests.browser_tests.test_agency_journey import People, shot, sign
from tests.personas import build_world

pytestmark = pytest.mark.clock

GUARD_ID = "044085001234"


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
        clerk.get_by_label("Bên gửi yêu cầu áp tải").check()
        clerk.get_by_role("button", name="Nhận gửi").click()
        expect(clerk.locator(".alert-success")).to_contain_text("Đã nhận gửi bưu gửi")
        item = Item.objects.get()
        assert item.mark == "B" and item.guard_requested

        # The holder's page has the hand-over and the delivery forms: each names a guard.
        offer = clerk.locator("form[action$='/offer/']")
        offer.get_by_label("Bàn giao cho").select_option(str(world.postman_a.pk))
        offer.get_by_label("Nơi giao nhận").fill("Bưu điện Đông Hà, quầy 2")
        offer.get_by_label("Người áp tải đi kèm").fill("Võ Văn An")
        offer.get_by_label("Số định danh người áp tải (đã đối chiếu trên thẻ)").fill(GUARD_ID)
        clerk.get_by_role("button", name="Bàn giao").click()
        expect(clerk.locator(".alert-success")).to_contain_text("Bên giao đã ký")

        postman = people.tab("postman_a")
        postman.goto(reverse("statemail:items"))
        postman.get_by_role("link", name=item.item_number).click()
        expect(postman.locator("form[action$='/take/']")).to_contain_text("Người áp tải: Võ Văn An")
        postman.get_by_label("Số niêm phong đọc được (phong bì ngoài)").fill("NP-7731")
        # The guard's pad is the one pad of the taking: without a stroke the step is refused.
        postman.get_by_role("button", name="Ký nhận").click()
        expect(postman.locator(".errorlist, .alert-danger").first).to_contain_text(
            "Người áp tải Võ Văn An cũng phải ký trên màn hình"
        )
        postman.get_by_label("Số niêm phong đọc được (phong bì ngoài)").fill("NP-7731")
        sign(postman, postman.locator("[data-signature-pad]"))
        shot(postman, "state-mail-guard-signs")
        postman.get_by_role("button", name="Ký nhận").click()
        expect(postman.locator(".alert-success")).to_contain_text("Niêm phong đúng")
        expect(postman.get_by_test_id("guard").last).to_contain_text("Võ Văn An (••••••••1234)")

        deliver = postman.locator("form[action$='/deliver/']")
        deliver.get_by_label("Họ tên người nhận").fill("Lê Thị Hoa")
        deliver.get_by_label("Số định danh người nhận (đã đối chiếu trên thẻ)").fill("044190000456")
        deliver.get_by_label("Số niêm phong đọc được (phong bì ngoài)").fill("NP-7731")
        # The guard of the last hand is written in already; both sign on the phone.
        expect(deliver.get_by_label("Người áp tải đi kèm")).to_have_value("Võ Văn An")
        pads = deliver.locator("[data-signature-pad]")
        expect(pads).to_have_count(2)
        sign(postman, pads.nth(0))
        sign(postman, pads.nth(1))
        postman.get_by_role("button", name="Phát", exact=True).click()
        expect(postman.locator(".alert-success")).to_contain_text("chuỗi giao nhận kết thúc")
        expect(postman.locator("table")).to_contain_text("Phát cho người nhận")
        assert GUARD_ID not in postman.content()
        shot(postman, "state-mail-delivered")
        item.refresh_from_db()
        assert item.state == Item.State.DELIVERED
        signed = item.events.exclude(guard_signature=None)
        assert sorted(signed.values_list("kind", flat=True)) == ["delivered", "handed_over"]

        book = postman.request.get(reverse("statemail:item_book", args=[item.pk]))
        assert book.ok and book.headers["content-type"] == "application/pdf"
        pdf = PdfReader(io.BytesIO(book.body()))
        # The guard at both hands and the recipient at the door, drawn in their cells.
        drawn = b"".join(page.get_contents().get_data() for page in pdf.pages)
        assert len(re.findall(rb"/I\d+ Do", drawn)) == 3
        text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
        assert "Áp tải: Võ Văn An (CCCD ••••••••1234)" in text and GUARD_ID not in text

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
