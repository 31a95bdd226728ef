"""The agency and return legs in Chromium: the postman (on a phone) loads a manifest by
typing the label and presents it; the agency's receiver counts and confirms the hand-over;
a supplement is asked, received at the counter and carried back; the officer publishes the
result; the postman collects it and delivers it against proof with a finger-drawn
signature."""

from __future__ import annotations

import io
import os

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from pypdf import PdfReader

from postgov.delivery.models import PostalItem, ProofOfDelivery
from postgov.dossiers.models import Dossier
from postgov.dossiers.workflow import State
from tests.agency_helpers import outbound_item, sealed
from tests.browser import log_in
from tests.personas import build_world

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

SHOTS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "var", "screenshots"
)
PHONE = {"width": 390, "height": 844}
AGENCY_A = "Trung tâm Phục vụ hành chính công tỉnh Quảng Trị"


def shot(tab, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    tab.screenshot(path=os.path.join(SHOTS, f"agency-{name}.png"), full_page=True)


class People:
    """One browser context per person, as on their own device."""

    def __init__(self, browser, base_url):
        self.browser, self.base_url, self.contexts = browser, base_url, []

    def tab(self, username: str, phone: bool = False):
        context = self.browser.new_context(
            base_url=self.base_url,
            locale="vi-VN",
            viewport=PHONE if phone else {"width": 1280, "height": 900},
            has_touch=phone,
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        tab = context.new_page()
        log_in(tab, username)
        return tab

    def close(self):
        for context in self.contexts:
            context.close()


def pdf_text(tab, href: str) -> str:
    response = tab.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    return " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages).split()
    )


def load_and_present(postman, codes: list[str], shot_name: str) -> None:
    postman.goto(reverse("carriage:manifests"))
    postman.get_by_label("Cơ quan", exact=True).select_option(
        label="Trung tâm Phục vụ hành chính công tỉnh Quảng Trị"
    )
    postman.get_by_role("button", name="Mở bảng kê và quét").click()
    postman.wait_for_url("**/manifests/*/")
    for code in codes:
        field = postman.locator("#id_code")
        expect(field).to_be_focused()  # the scanner types straight into it
        field.fill(code)
        field.press("Enter")
        expect(postman.locator(".alert-success")).to_contain_text(code)
    shot(postman, f"{shot_name}-loaded")
    postman.get_by_role("button", name="Xuất phát đến cơ quan").click()
    expect(postman.locator(".alert-success")).to_be_visible()
    sign(postman, postman.locator("[data-signature-pad]"))
    postman.get_by_role("button", name="Trình tại cơ quan").click()
    expect(postman.locator(".alert-warning")).to_contain_text("cán bộ tiếp nhận")
    shot(postman, f"{shot_name}-presented")


def sign(tab, pad) -> None:
    """Draw a short scribble on the signature pad."""
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] / 2
    tab.mouse.move(x, y)
    tab.mouse.down()
    for step in range(1, 12):
        tab.mouse.move(x + step * 18, y + (25 if step % 2 else -25), steps=3)
    tab.mouse.up()


def confirm_hand_over(receiver, shot_name: str) -> None:
    receiver.goto(reverse("dossiers:agency_inbox"))
    receiver.get_by_role("link", name="Kiểm đếm và xác nhận bàn giao").first.click()
    sign(receiver, receiver.locator("[data-signature-pad]"))
    shot(receiver, f"{shot_name}-count")
    receiver.get_by_role("button", name="Xác nhận bàn giao").click()
    expect(receiver.locator(".alert-success")).to_contain_text("Đã xác nhận bàn giao")


@pytest.mark.browser
def test_hand_over_supplement_result_and_delivery_with_proof(
    transactional_db, _playwright_browser, live_server
):
    world = build_world()
    dossier = sealed(world, applicant_name="Nguyễn Thị Ánh Tuyết")
    other = sealed(world, agency=world.agency_b)
    people = People(_playwright_browser, live_server.url)
    try:
        # 1. The postman loads the manifest on the phone; a label for agency B is refused.
        postman = people.tab("postman_a", phone=True)
        postman.goto(reverse("carriage:manifests"))
        postman.get_by_label("Cơ quan", exact=True).select_option(
            label="Trung tâm Phục vụ hành chính công tỉnh Quảng Trị"
        )
        postman.get_by_role("button", name="Mở bảng kê và quét").click()
        postman.wait_for_url("**/manifests/*/")
        postman.locator("#id_code").fill(outbound_item(other).item_id)
        postman.locator("#id_code").press("Enter")
        expect(postman.locator(".alert-danger")).to_contain_text("gửi cơ quan khác")
        expect(postman.locator(".pg-refused")).to_have_count(1)
        postman.locator("#id_code").fill(outbound_item(dossier).item_id)
        postman.locator("#id_code").press("Enter")
        expect(postman.locator(".alert-success")).to_contain_text(outbound_item(dossier).item_id)
        shot(postman, "1-manifest-phone")
        postman.get_by_role("button", name="Xuất phát đến cơ quan").click()
        sign(postman, postman.locator("[data-signature-pad]"))
        postman.get_by_role("button", name="Trình tại cơ quan").click()
        expect(postman.locator(".alert-warning")).to_contain_text("cán bộ tiếp nhận")
        shot(postman, "2-presented-phone")

        # 2. The agency's receiver counts and confirms: the legal time of submission.
        receiver = people.tab("receiver_a")
        receiver.goto(reverse("dossiers:agency_inbox"))
        shot(receiver, "3-inbox-manifest")
        confirm_hand_over(receiver, "4")
        shot(receiver, "4-handed-over")
        dossier.refresh_from_db()
        assert dossier.status == State.HANDED_OVER and dossier.submitted_at and dossier.due_at
        record = receiver.get_by_role("link", name="Biên bản giao nhận (PDF)").get_attribute("href")
        text = pdf_text(receiver, record)
        assert (
            "BIÊN BẢN GIAO NHẬN HỒ SƠ" in text and "Lê Văn Cường" in text and "Hoàng Văn Em" in text
        )

        # 3. Accept, then ask for a supplement (Form 02).
        receiver.goto(reverse("dossiers:agency_inbox"))
        receiver.get_by_role("link", name=dossier.code).click()
        expect(receiver.locator(".pg-deadline").first).to_contain_text("còn")
        receiver.get_by_role("button", name="Đã tiếp nhận để giải quyết").click()
        receiver.get_by_role("link", name="Yêu cầu bổ sung hồ sơ").click()
        receiver.get_by_label("Nội dung công dân cần bổ sung").fill(
            "Bản chính Giấy chứng sinh\nChữ ký của người đi khai trên tờ khai"
        )
        shot(receiver, "5-supplement-form")
        receiver.get_by_role("button", name="Xác nhận").click()
        form02 = receiver.get_by_role("link", name="Mở Mẫu 02 (PDF)")
        expect(form02).to_be_visible()
        assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in pdf_text(
            receiver, form02.get_attribute("href")
        )
        expect(receiver.locator(".pg-deadline").first).to_contain_text("tạm dừng")
        shot(receiver, "6-supplement-asked")

        # 4. The citizen brings the papers to the counter; the clerk seals them.
        clerk = people.tab("clerk_a")
        clerk.goto(reverse("dossiers:supplements"))
        clerk.get_by_role("link", name=dossier.code).click()
        clerk.get_by_label("Bản chính Giấy chứng sinh").check()
        clerk.get_by_label("Chữ ký của người đi khai trên tờ khai").check()
        clerk.get_by_label("Số trang").fill("2")
        clerk.get_by_role("button", name="Niêm phong hồ sơ bổ sung").click()
        expect(clerk.get_by_role("link", name="In nhãn")).to_be_visible()
        shot(clerk, "7-supplement-sealed")
        supplement = dossier.items.get(leg=PostalItem.Leg.SUPPLEMENT).item_id

        # 5. The supplement travels like the dossier; the clock restarts at its hand-over.
        load_and_present(postman, [supplement], "8-supplement")
        confirm_hand_over(receiver, "9")
        dossier.refresh_from_db()
        assert dossier.status == State.PROCESSING and dossier.clock_paused_at is None

        # 6. The officer publishes the result.
        officer = people.tab("officer_a")
        officer.goto(reverse("dossiers:agency_dossier", args=[dossier.pk]))
        officer.get_by_role("link", name="Đã có kết quả").click()
        officer.get_by_label("Giấy tờ kết quả").fill("Giấy khai sinh (bản chính)")
        officer.get_by_label("Số", exact=True).first.fill("125/2026")
        officer.get_by_role("button", name="Xác nhận").click()
        expect(officer.locator(".alert-success")).to_be_visible()
        shot(officer, "10-result-ready")

        # 7. The postman collects it at the agency on a return manifest...
        postman.goto(reverse("carriage:manifests"))
        postman.get_by_label("Cơ quan", exact=True).select_option(
            label="Trung tâm Phục vụ hành chính công tỉnh Quảng Trị"
        )
        postman.get_by_text("nhận kết quả từ cơ quan").click()
        postman.get_by_role("button", name="Mở bảng kê và quét").click()
        postman.locator("#id_code").fill(dossier.code)
        postman.locator("#id_code").press("Enter")
        expect(postman.locator(".alert-success")).to_contain_text(dossier.code)
        postman.get_by_role("button", name="Nhận các kết quả này").click()
        expect(postman.locator(".alert-success")).to_contain_text("Đã nhận kết quả")

        # 8. ...and delivers it against proof, with a signature drawn on the phone.
        postman.goto(reverse("carriage:deliveries"))
        postman.get_by_role("link", name=dossier.code).click()
        postman.get_by_role("button", name="Mang đi phát").click()
        postman.get_by_label("Họ tên người nhận").fill("Nguyễn Thị Ánh Tuyết")
        postman.get_by_label("4 số cuối thẻ căn cước").fill("1234")
        expect(postman.locator("[data-signature-nojs]")).to_be_hidden()
        sign(postman, postman.locator("[data-signature-pad]"))
        shot(postman, "11-proof-phone")
        postman.get_by_role("button", name="Ghi nhận đã phát").click()
        expect(postman.locator(".alert-success")).to_contain_text("có chữ ký")
        expect(postman.locator("img[alt='Chữ ký người nhận']")).to_be_visible()
        shot(postman, "12-delivered-phone")
    finally:
        people.close()

    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.status == State.DELIVERED
    from postgov.delivery.models import Manifest

    assert all(
        m.postman_signature and m.receiver_signature
        for m in Manifest.objects.filter(direction="outbound")
    )
    proof = ProofOfDelivery.objects.get(dossier=dossier)
    assert proof.signature_captured and proof.id_last4 == "1234"
    actions = list(dossier.events.values_list("action", flat=True))
    assert actions[-1] == "deliver" and "request_supplement" in actions
