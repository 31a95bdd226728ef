"""A whole counter intake in Chromium, keyboard first: QR scan → procedure → checklist →
fees → seal → PDF; and the postman's home pickup on a phone-sized screen."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from postgov.delivery import actions as delivery
from postgov.delivery.models import PickupBooking
from postgov.dossiers.models import Dossier
from postgov.dossiers.tracking.links import token_for
from postgov.identity.access import Access
from tests.browser import log_in
from tests.factories import QR_NEW_CARD, make_intake_catalog

SHOTS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "var", "screenshots"
)


def shot(page, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def focused(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.name")


@pytest.mark.browser
def test_a_whole_counter_intake(page, world, clerk_a):
    make_intake_catalog(world)
    log_in(page, "clerk_a")
    page.goto("/dossiers/intake/")
    assert focused(page) == "qr"
    shot(page, "intake-1-start")

    # The USB scanner types the QR and presses Enter.
    page.keyboard.type(QR_NEW_CARD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.input_value("#id_name") == "Trần Thị Bích Ngọc"
    assert page.input_value("#id_birth_date") == "02/02/1995"
    assert focused(page) == "phone"
    page.keyboard.type("0905 123 456")
    page.keyboard.press("Enter")  # moves on, does not submit
    assert "/dossiers/intake/" in page.url and focused(page) == "email"
    page.select_option("#id_commune", label="Phường Đông Hà")

    # Procedure: diacritic-free search, live.
    page.fill("#id_q", "trich luc ho tich")
    page.wait_for_selector("#procedure-list label:has-text('Cấp bản sao trích lục hộ tịch')")
    page.locator("#procedure-list label", has_text="Cấp bản sao trích lục hộ tịch").click()
    shot(page, "intake-1-applicant")
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/checklist/")

    # Checklist: space ticks, arrows move.
    assert (focused(page) or "").startswith("present_")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    shot(page, "intake-2-checklist")
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/fees/")

    # Fees: the totals are always visible and follow the choices.
    totals = page.locator("#totals")
    assert "68.000" in totals.inner_text()
    page.locator("label", has_text="Cấp lại").click()
    page.wait_for_function("() => document.querySelector('#totals').innerText.includes('75.000')")
    shot(page, "intake-3-fees")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_url("**/confirm/")
    assert focused(page) == "seal_number"
    shot(page, "intake-4-confirm")
    page.get_by_role("button", name="Niêm phong và in").click()
    page.wait_for_url("**/dossiers/*/?sealed=1")

    dossier = Dossier.objects.get()
    assert dossier.status == "sealed" and dossier.total_due == 75_000
    assert dossier.code in page.content()
    shot(page, "intake-5-sealed")

    href = page.get_by_role("link", name="In tất cả (A5)").get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    for expected in (
        "PHIẾU GỬI HỒ SƠ",
        "Trần Thị Bích Ngọc",
        "Tờ khai đăng ký khai sinh",
        "Bản chính",
        "NHÂN VIÊN BƯU ĐIỆN",
        "BIÊN LAI THU TIỀN",
        "Bảy mươi lăm nghìn đồng",
        "BƯU GỬI HÀNH CHÍNH CÔNG",
        dossier.code,
    ):
        assert expected in text, expected

    # The clerk's day lists it, waiting for dispatch.
    page.goto("/dossiers/today/?view=dispatch")
    assert dossier.code in page.content()
    shot(page, "intake-6-today")

    # The citizen follows it with the label's QR (its tracking token opens the dossier).
    item = dossier.items.get(leg="outbound").item_id
    page.goto(f"/track/?code={item}&t={token_for(dossier.pk)}")
    assert "T*** T** B*** N***" in page.content()
    shot(page, "track-result")


@pytest.mark.browser
def test_the_postman_receives_at_the_house_on_a_phone(
    working_morning, page, world, supervisor_a, postman_a
):
    make_intake_catalog(world)
    page.set_viewport_size({"width": 390, "height": 844})
    day = timezone.localdate() + timedelta(days=1)
    booking = delivery.book_pickup(
        procedure=make_intake_catalog(world).procedure,
        name="Hoàng Thị Mai",
        phone="0987654321",
        address="Số 12 Lê Duẩn",
        commune=world.commune_a,
        day=day,
        window="morning",
        note="Nhà có cổng xanh",
    )
    delivery.assign_pickup(
        booking.pk, postman_a, actor=supervisor_a, access=Access.for_user(supervisor_a)
    )
    log_in(page, "postman_a")
    page.goto("/delivery/pickups/")
    assert booking.code in page.content()
    shot(page, "pickup-1-list-phone")
    page.get_by_role("link", name="Mở").first.click()
    shot(page, "pickup-2-booking-phone")
    page.get_by_role("link", name="Tiếp nhận hồ sơ tại đây").click()
    assert page.input_value("#id_name") == "Hoàng Thị Mai"
    shot(page, "pickup-3-intake-phone")
    # no horizontal scrolling on a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
def test_public_pages(working_morning, page, world):
    make_intake_catalog(world)
    page.goto("/delivery/pickup/")
    shot(page, "pickup-book")
    # A citizen books a pickup: a mistake keeps what was typed, then the booking code.
    page.select_option("#id_procedure", index=1)
    page.fill("#id_name", "Lê Văn Tám")
    page.fill("#id_phone", "0912 345")
    page.fill("#id_address", "12 Lê Lợi")
    page.select_option("#id_commune", index=1)
    page.fill("#id_date", f"{timezone.localdate() + timedelta(days=2):%Y-%m-%d}")
    page.locator("input[name=window]").first.check()
    page.check("#id_consent")
    page.get_by_role("button", name="Đặt lịch").click()
    shot(page, "pickup-book-error")
    assert page.input_value("#id_name") == "Lê Văn Tám"
    assert page.locator(".invalid-feedback, .errorlist").count() > 0
    page.fill("#id_phone", "0912 345 678")
    page.check("#id_consent")
    page.get_by_role("button", name="Đặt lịch").click()
    booking = PickupBooking.objects.get()
    page.get_by_text(booking.code).first.wait_for()
    shot(page, "pickup-booked")
    page.goto("/track/")
    shot(page, "track-form")
