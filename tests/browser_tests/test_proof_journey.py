"""Proof of delivery and of hand-over in Chromium, as the postman sees it on a 390×844
phone: the result's label is addressed to the citizen; a family member gives their own
ID card's digits; nobody goes on with an empty signature pad — the recipient signs, or
the postman says why they cannot, and the supervisor of the post office sees it; without
JavaScript the manifest is presented only with a reason."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from postgov.delivery.actions import create_item
from postgov.delivery.models import Manifest, MissingSignature, PostalItem, ProofOfDelivery
from postgov.dossiers.models import ReturnMethod
from postgov.dossiers.workflow import State
from tests.agency_helpers import handed_over, move, outbound_item, sealed
from tests.browser import log_in
from tests.browser_tests.test_agency_journey import PHONE, People, pdf_text, shot, sign
from tests.personas import build_world

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock


def collected(world):
    dossier = handed_over(
        world,
        applicant_name="Nguyễn Thị Ánh Tuyết",
        return_method=ReturnMethod.DELIVER,
        return_address="Số 45 đường Hùng Vương, khu phố 3",
        return_commune=world.commune_a,
    )
    create_item(dossier, PostalItem.Leg.RETURN)  # as sealing allocates it
    move(dossier, "accept", world.agency_receiver)
    move(dossier, "result_ready", world.agency_officer)
    return move(dossier, "collect_result", world.postman_a)


@pytest.mark.browser
def test_a_family_member_receives_without_signing_and_the_supervisor_sees_it(
    transactional_db, _playwright_browser, live_server
):
    world = build_world()
    dossier = collected(world)
    people = People(_playwright_browser, live_server.url)
    try:
        postman = people.tab("postman_a", phone=True)
        postman.goto(reverse("carriage:delivery", args=[dossier.pk]))
        postman.get_by_role("button", name="Mang đi phát").click()

        # The result's label says who it goes to.
        label = pdf_text(
            postman, postman.get_by_role("link", name="nhãn", exact=True).get_attribute("href")
        )
        recipient = label[label.index("ĐẾN") : label.index("TỪ")]
        assert "Nguyễn Thị Ánh Tuyết" in recipient
        assert "Số 45 đường Hùng Vương, khu phố 3, Phường Đông Hà, Tỉnh Quảng Trị" in recipient

        # A family member receives: the applicant's digits are not theirs.
        postman.get_by_label("Người thân trong gia đình").check()
        postman.get_by_label("Họ tên người nhận").fill("Trần Văn Bình")
        postman.get_by_label("4 số cuối thẻ căn cước của chính người nhận").fill("1234")
        postman.get_by_label("Quan hệ và giấy tờ đã kiểm tra").fill("Chồng, xem CCCD của anh")
        sign(postman, postman.locator("[data-signature-pad]"))
        postman.get_by_role("button", name="Ghi nhận đã phát").click()
        expect(postman.locator(".errorlist")).to_contain_text(
            "4 số cuối thẻ căn cước của người nộp"
        )
        expect(postman.get_by_label("Họ tên người nhận")).to_have_value("Trần Văn Bình")
        shot(postman, "proof-1-applicants-digits")
        postman.get_by_label("4 số cuối thẻ căn cước của chính người nhận").fill("5678")

        # An empty pad does not go through; the page says what to do instead.
        postman.locator("[data-signature-clear]").click()
        postman.get_by_role("button", name="Ghi nhận đã phát").click()
        expect(postman.locator("[data-signature-required]")).to_be_visible()
        assert dossier.__class__.objects.get(pk=dossier.pk).status == State.OUT_FOR_DELIVERY
        postman.get_by_label("Không ký được (ốm đau").check()
        postman.get_by_label("Sự việc").fill("Anh bị bó bột tay phải, đã điểm chỉ trên phiếu")
        shot(postman, "proof-2-cannot-sign")
        postman.get_by_role("button", name="Ghi nhận đã phát").click()
        expect(postman.locator(".alert-warning")).to_contain_text("Trưởng bưu cục sẽ xem xét")
        expect(postman.get_by_test_id("unsigned")).to_contain_text("không ký được")
        expect(postman.locator(".pg-facts").last).to_contain_text(
            "…5678 · thẻ của chính người nhận"
        )
        shot(postman, "proof-3-delivered-unsigned")

        supervisor = people.tab("supervisor_a", phone=True)
        supervisor.goto(reverse("carriage:deliveries"))
        supervisor.get_by_role("link", name="Các bước không có chữ ký").click()
        row = supervisor.locator("[data-missing-signature]")
        expect(row).to_contain_text(dossier.code)
        expect(row).to_contain_text("bó bột tay phải")
        supervisor.get_by_label("Nội dung đã kiểm tra").fill("Đã gọi điện, anh Bình xác nhận")
        supervisor.get_by_role("button", name="Đã xem xét").click()
        expect(supervisor.locator(".alert-success")).to_be_visible()
        shot(supervisor, "proof-4-supervisor-reviewed")
    finally:
        people.close()

    proof = ProofOfDelivery.objects.get(dossier=dossier)
    assert (proof.id_last4, proof.id_holder, proof.signature_captured) == (
        "5678",
        "recipient",
        False,
    )
    missing = MissingSignature.objects.get()
    assert missing.reason == "cannot_sign" and missing.reviewed_by == world.supervisor_a


@pytest.mark.browser
def test_without_javascript_a_manifest_is_presented_only_with_a_reason(
    transactional_db, _playwright_browser, live_server
):
    world = build_world()
    dossier = sealed(world)
    context = _playwright_browser.new_context(
        base_url=live_server.url,
        locale="vi-VN",
        viewport=PHONE,
        has_touch=True,
        java_script_enabled=False,
    )
    context.set_default_timeout(15_000)
    try:
        postman = context.new_page()
        log_in(postman, "postman_a")
        postman.goto(reverse("carriage:manifests"))
        postman.get_by_label("Cơ quan", exact=True).select_option(
            label="Trung tâm Phục vụ hành chính công tỉnh Quảng Trị"
        )
        postman.get_by_role("button", name="Mở bảng kê và quét").click()
        postman.locator("#id_code").fill(outbound_item(dossier).item_id)
        postman.locator("#id_code").press("Enter")
        postman.get_by_role("button", name="Xuất phát đến cơ quan").click()
        expect(postman.locator("[data-signature-nojs]")).to_be_visible()
        postman.get_by_role("button", name="Trình tại cơ quan").click()
        expect(postman.locator(".alert-danger")).to_contain_text("Hãy ký trên màn hình")
        assert Manifest.objects.get().status == Manifest.Status.DISPATCHED
        shot(postman, "proof-5-present-refused-nojs")
        # Sent back without a signature: the reasons are open to choose from.
        expect(postman.get_by_label("Ký trên bản giấy")).to_be_visible()
        postman.get_by_label("Ký trên bản giấy").check()
        postman.get_by_label("Sự việc").fill("Điện thoại không chạy JavaScript, đã ký bản giấy")
        postman.get_by_role("button", name="Trình tại cơ quan").click()
        expect(postman.get_by_test_id("unsigned")).to_contain_text("ký trên bản giấy")
        shot(postman, "proof-6-presented-with-reason-nojs")
    finally:
        context.close()
    manifest = Manifest.objects.get()
    assert manifest.status == Manifest.Status.PRESENTED and not manifest.postman_signature
    assert manifest.missing_signatures.get().step == "presented"
