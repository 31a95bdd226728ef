"""A citizen's journeys without dead ends, in Chromium: from a procedure's page to a home
pickup (on a phone), the booking followed, moved and cancelled on the tracking page;
"my dossiers" and "my pickups" from the account menu; the declaration form and the post
offices of a procedure; the demo's level-2 citizen reading the SMS code on the
development "sent messages" page."""

from __future__ import annotations

import os
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from postgov.delivery import actions, scheduling
from postgov.delivery.models import PickupBooking
from postgov.dossiers.tests.intake_helpers import ready, seal
from postgov.identity.access import Access
from postgov.identity.models import Level
from postgov.notify.models import Message
from postgov.notify.tasks import send_message
from tests.browser import log_in
from tests.browser_tests.test_intake_journey import SHOTS, shot
from tests.factories import make_intake_catalog
from tests.personas import make_user

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def version(world, working_morning):
    version = make_intake_catalog(world)
    version.documents.filter(position=1).update(name="Tờ khai cấp bản sao trích lục (theo mẫu)")
    return version


def test_from_a_procedure_to_a_pickup_followed_moved_and_cancelled_on_a_phone(
    page, world, version, supervisor_a, postman_a
):
    page.set_viewport_size(PHONE)
    page.goto(f"/catalog/{version.procedure.code}/")
    shot(page, "citizen-procedure-ways-on-phone")
    page.click("#book-pickup")
    selected = page.locator("#id_procedure option:checked").inner_text()
    assert selected.strip() == version.procedure.name
    page.fill("#id_name", "Hoàng Thị Mai")
    page.fill("#id_phone", "0987654321")
    page.fill("#id_address", "Số 12 Lê Duẩn")
    page.select_option("#id_commune", str(world.commune_a.pk))
    page.fill("#id_date", "2026-03-11")
    page.check("input[name=window][value=morning]")
    page.check("#id_consent")
    page.get_by_role("button", name="Đặt lịch").click()
    page.locator(".pg-pickup").wait_for()
    booking = PickupBooking.objects.get()
    card = page.locator(".pg-pickup").inner_text()
    assert booking.code in card and "Chưa có bưu tá" in card
    assert "0987654321" not in page.content()
    shot(page, "citizen-pickup-booked-phone")

    actions.assign_pickup(
        booking.pk, postman_a, actor=supervisor_a, access=Access.for_user(supervisor_a)
    )
    # Later, with the code and the phone's last digits on the tracking page.
    page.goto("/track/")
    page.fill("input[name=code]", booking.code)
    page.fill("input[name=phone_last4]", "4321")
    page.locator("input[name=phone_last4]").press("Enter")
    page.locator(".pg-pickup").wait_for()
    truth = page.locator(".pg-pickup-truth").inner_text()
    assert postman_a.full_name in truth and "11/03/2026" in truth
    assert "khi có bưu tá" not in page.locator(".pg-pickup").inner_text()
    shot(page, "citizen-pickup-assigned-phone")

    page.locator("summary", has_text="Đổi sang ngày khác").click()
    page.fill(f"#id_move{booking.pk}_date", "2026-03-15")  # a Sunday
    page.check(f"#id_move{booking.pk}_window_1")
    page.get_by_role("button", name="Đổi lịch hẹn").click()
    assert "Chủ nhật" in page.locator(".pg-pickup").inner_text()
    assert page.locator(f"#id_move{booking.pk}_date").input_value() == "2026-03-15"
    shot(page, "citizen-pickup-move-refused-phone")
    page.fill(f"#id_move{booking.pk}_date", "2026-03-12")
    page.get_by_role("button", name="Đổi lịch hẹn").click()
    page.get_by_role("status").filter(has_text="12/03/2026").first.wait_for()
    booking.refresh_from_db()
    assert str(booking.date) == "2026-03-12" and booking.window == "afternoon"
    shot(page, "citizen-pickup-moved-phone")

    page.locator("summary", has_text="Hủy lịch hẹn").click()
    page.get_by_role("button", name="Đồng ý hủy lịch hẹn").click()
    page.locator(".pg-pickup-truth").filter(has_text="đã bị hủy").wait_for()
    booking.refresh_from_db()
    assert booking.status == PickupBooking.Status.CANCELLED
    assert page.locator("input[name=proof]").count() == 0
    shot(page, "citizen-pickup-cancelled-phone")


def test_a_procedure_lists_its_post_offices_and_prints_its_form_on_a_phone(page, world, version):
    page.set_viewport_size(PHONE)
    page.goto(f"/catalog/{version.procedure.code}/")
    response = page.request.get(page.locator("#print-form").get_attribute("href") or "")
    assert response.ok and response.body()[:4] == b"%PDF"
    with open(os.path.join(SHOTS, "citizen-declaration-form.pdf"), "wb") as pdf:
        pdf.write(response.body())
    page.click("#find-post-office")
    assert world.point_a.name in page.locator(".pg-points").inner_text()
    shot(page, "citizen-procedure-post-offices-phone")


def test_a_verified_citizen_follows_their_dossiers_and_pickups(page, world, version):
    number = "045185654321"
    hoa = make_user(
        "hoa",
        "Lê Thị Hoa",
        level=Level.VERIFIED,
        declared_id_number=number,
        verified_id_number=number,
        verified_at=timezone.now(),
        phone="0912000002",
        phone_verified_at=timezone.now(),
    )
    dossier, _ = seal(ready(world, version, name="Lê Thị Hoa", id_number=number))
    booking = actions.book_pickup(
        procedure=version.procedure,
        name="Lê Thị Hoa",
        phone=hoa.phone,
        address="12 Lê Lợi",
        commune=world.commune_a,
        day=scheduling.first_collection_day(world.province.pk),
        window="evening",
    )
    log_in(page, "hoa")
    page.click("nav .pg-user")
    page.locator("nav").get_by_role("link", name="Hồ sơ của tôi").click()
    page.get_by_role("link", name=dossier.code).click()
    page.locator(".pg-timeline").wait_for()
    text = page.locator("main").inner_text()
    assert "Lê Thị Hoa" in text and number not in page.content()
    shot(page, "citizen-my-dossier")
    page.get_by_role("link", name="Lịch thu gom của tôi").click()
    assert booking.code in page.locator("main").inner_text()
    shot(page, "citizen-my-pickups")


def test_a_level_1_citizen_is_told_how_to_get_verified_in_english(page, world, citizen):
    log_in(page, "citizen")
    page.locator("nav").get_by_role("button", name="EN").click()
    page.wait_for_load_state()
    page.goto("/accounts/me/dossiers/")
    note = page.locator("#not-verified").inner_text()
    assert "post office" in note and "Hồ sơ" not in page.locator("main").inner_text()
    shot(page, "citizen-my-dossiers-not-verified-en")


def test_the_demo_level_2_citizen_reads_the_sms_code_on_the_sent_messages_page(
    page, world, settings
):
    settings.DEV = True
    make_user(
        "congdan.muc2",
        "Lê Thị Hoa",
        level=Level.VERIFIED,
        phone="0912000002",
        phone_verified_at=timezone.now(),
        sms_login=True,
    )
    page.goto("/accounts/login/")
    page.fill("#id_username", "congdan.muc2")
    page.fill("#id_password", "correct horse battery staple")
    page.click("#main form button[type=submit]")
    page.wait_for_url("**/accounts/login/verify/**")
    if not Message.objects.filter(template="identity_code").exists():
        page.click("button[value=send_sms]")
    for message in Message.objects.filter(status=Message.Status.QUEUED):
        send_message.call(message.pk)  # what the worker of `make run` does
    page.goto("/dev/messages/")
    body = page.locator(".pg-message-body").first.inner_text()
    code = re.search(r"\b(\d{6})\b", body)[1]
    shot(page, "citizen-dev-sent-messages")
    page.goto("/accounts/login/verify/")
    page.check("input[name=method][value=sms]")
    page.fill("#id_code", code)
    page.click("button[value=verify]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url
