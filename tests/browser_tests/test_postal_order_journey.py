"""A dossier filed online, its result carried by post, in Chromium: the agency officer
orders the delivery on the page (a wrong code is refused and what was typed stays), the
postman collects the result on the agency's return manifest and delivers it on the phone
against the recipient's ID digits, the money and a signature drawn on the screen; the
officer sees the proof."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from postgov.dossiers.orders.models import PostalOrder
from tests.browser_tests.test_agency_journey import AGENCY_A, People, sign
from tests.factories import make_intake_catalog
from tests.personas import build_world

pytestmark = pytest.mark.clock


def shot(tab, name: str) -> None:
    from tests.browser_tests.test_agency_journey import shot as agency_shot

    agency_shot(tab, f"order-{name}")


@pytest.mark.browser
def test_an_officer_orders_a_result_delivery_and_a_postman_delivers_it(
    transactional_db, _playwright_browser, live_server
):
    world = build_world()
    make_intake_catalog(world)
    code = f"{world.agency_a.unit_code}-261130-0042"
    people = People(_playwright_browser, live_server.url)
    try:
        officer = people.tab("officer_a")
        officer.goto(reverse("orders:agency_orders"))
        officer.get_by_role("link", name="Đặt phát qua bưu điện").click()
        officer.locator("#id_portal_code").fill("000.99.44.H56-261130-0042")
        officer.locator("#id_procedure").select_option(index=1)
        officer.locator("#id_documents").fill("Giấy khai sinh (bản chính)\nTrích lục khai sinh")
        officer.locator("#id_recipient_name").fill("Nguyễn Thị Ánh Tuyết")
        officer.locator("#id_recipient_phone").fill("0912345678")
        officer.locator("#id_recipient_id_last4").fill("1234")
        officer.locator("#id_address").fill("Số 45 đường Hùng Vương, khu phố 3")
        officer.locator("#id_commune").select_option(value=str(world.commune_a.pk))
        officer.locator("#id_cod_amount").fill("25000")
        officer.get_by_role("button", name="Đặt đơn").click()
        expect(officer.locator(".alert-danger, .errorlist").first).to_contain_text(
            "không do cơ quan này tiếp nhận"
        )
        expect(officer.locator("#id_recipient_name")).to_have_value("Nguyễn Thị Ánh Tuyết")
        shot(officer, "1-refused-code")
        officer.locator("#id_portal_code").fill(code)
        officer.get_by_role("button", name="Đặt đơn").click()
        expect(officer.locator(".alert-success")).to_contain_text("Đã đặt đơn")
        expect(officer.get_by_test_id("order-status")).to_have_text("đã đặt")
        shot(officer, "2-ordered")
        order = PostalOrder.objects.get()
        item = order.items.get().item_id

        # The postman collects it at the agency on the return manifest...
        postman = people.tab("postman_a", phone=True)
        postman.goto(reverse("carriage:manifests"))
        postman.get_by_label("Cơ quan", exact=True).select_option(label=AGENCY_A)
        postman.get_by_text("nhận kết quả từ cơ quan").click()
        postman.get_by_role("button", name="Mở bảng kê và quét").click()
        postman.locator("#id_code").fill(item)
        postman.locator("#id_code").press("Enter")
        expect(postman.locator(".alert-success")).to_contain_text(code)
        shot(postman, "3-on-return-manifest")
        postman.get_by_role("button", name="Nhận các kết quả này").click()
        expect(postman.locator(".alert-success")).to_contain_text("Đã nhận kết quả")

        # ...and delivers it against proof and the money, with a signature.
        postman.goto(reverse("orders:point_orders") + "?tab=at_office")
        postman.get_by_text(order.code).click()
        postman.get_by_role("button", name="Mang đi phát").click()
        postman.locator("#id_recipient_name").fill("Nguyễn Thị Ánh Tuyết")
        postman.locator("#id_id_last4").fill("1234")
        postman.locator("#id_cod_collected").fill("20000")
        sign(postman, postman.locator("[data-signature-pad]"))
        postman.get_by_role("button", name="Ghi nhận đã phát").click()
        expect(postman.locator(".alert-danger").first).to_contain_text("25.000")
        expect(postman.locator("#id_recipient_name")).to_have_value("Nguyễn Thị Ánh Tuyết")
        shot(postman, "4-money-short")
        postman.locator("#id_cod_collected").fill("25000")
        sign(postman, postman.locator("[data-signature-pad]"))
        postman.get_by_role("button", name="Ghi nhận đã phát").click()
        expect(postman.locator(".alert-success")).to_contain_text("có chữ ký")
        expect(postman.get_by_test_id("proof-recipient")).to_contain_text("Nguyễn Thị Ánh Tuyết")
        shot(postman, "5-delivered-phone")

        officer.reload()
        expect(officer.get_by_test_id("order-status")).to_have_text("đã phát cho người nhận")
        expect(officer.get_by_test_id("proof-recipient")).to_contain_text("Nguyễn Thị Ánh Tuyết")
        shot(officer, "6-officer-sees-proof")
    finally:
        people.close()

    order.refresh_from_db()
    assert order.status == "delivered" and order.cod_collected == 25000
    assert order.proof.signature_captured
