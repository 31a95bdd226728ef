"""A linked package in Chromium: a clerk takes in birth registration, permanent residence
and a health-insurance card for a child under six at the counter — one checklist, one
total, one code; the birth registration goes to its agency first (the agency's steps by
helper actions), the two other parts start with its result, the citizen follows the
package by its code, and every result comes back in one delivery with one proof."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from postgov.delivery.models import PostalItem, ProofOfDelivery
from postgov.dossiers.carriage import manifests
from postgov.dossiers.linked.models import LinkedDossier, PackageStatus
from postgov.dossiers.tests.linked_helpers import (
    BIRTH,
    INSURANCE,
    RESIDENCE,
    at_agency,
    linked_world,
    part,
)
from postgov.dossiers.workflow import State
from postgov.identity.access import Access
from postgov.identity.models import Level
from tests.agency_helpers import move
from tests.browser_tests.test_agency_journey import People, pdf_text, sign
from tests.personas import build_world, make_user

pytestmark = pytest.mark.clock


def shot(tab, name: str) -> None:
    from tests.browser_tests.test_agency_journey import shot as agency_shot

    agency_shot(tab, f"linked-{name}")


def _result_collected(world, dossier, *, decided: bool = False) -> None:
    """The agency decides (helper actions) and the postman collects the result on the
    agency's return manifest."""
    if not decided:
        dossier = at_agency(world, dossier)
        move(dossier, "result_ready", world.agency_officer)
    who = {"user": world.postman_a, "access": Access.for_user(world.postman_a)}
    manifest = manifests.new_manifest(
        point=world.point_a, agency=world.agency_a, direction="return", **who
    )
    manifests.scan(manifest.pk, dossier.code, **who)
    manifests.collect(manifest.pk, **who)


@pytest.mark.browser
def test_a_child_under_six_package_from_counter_to_one_delivery(
    transactional_db, _playwright_browser, live_server
):
    world = build_world()
    linked = linked_world(world)
    people = People(_playwright_browser, live_server.url)
    try:
        # 1. The clerk takes the package in on one page: one checklist, one payment.
        clerk = people.tab("clerk_a")
        clerk.goto(reverse("dossiers:linked"))
        clerk.get_by_test_id(f"take-in-{linked.code}").click()
        clerk.locator("#id_name").fill("Nguyễn Thị Lan")
        clerk.locator("#id_id_number").fill("045190001234")
        clerk.locator("#id_phone").fill("0912345678")
        clerk.locator("#id_commune").select_option(value=str(world.commune_a.pk))
        clerk.locator("#id_address").fill("Số 5 Lê Lợi")
        clerk.locator("input[name=payment_method][value=cash]").check()
        clerk.get_by_test_id("receive-package").click()
        # Nothing ticked: refused, what was typed stays.
        expect(clerk.get_by_test_id("problems")).to_contain_text("Giấy chứng sinh")
        expect(clerk.locator("#id_name")).to_have_value("Nguyễn Thị Lan")
        checklist = clerk.get_by_test_id("package-checklist")
        # The ID card the three agencies ask for is one line.
        expect(checklist.get_by_text("Căn cước của người đi đăng ký")).to_have_count(1)
        shot(clerk, "1-refused-keeps-input")
        for box in checklist.locator("input[type=checkbox]").all():
            box.check()
        clerk.get_by_test_id("receive-package").click()
        expect(clerk.locator(".alert-success")).to_contain_text("Đã tiếp nhận bộ hồ sơ")
        package = LinkedDossier.objects.get()
        expect(clerk.get_by_test_id("package-code")).to_have_text(package.code)
        expect(clerk.get_by_test_id("parts")).to_contain_text("Chờ kết quả của phần khác")
        expect(clerk.get_by_test_id("total")).to_contain_text(
            f"{package.total_due:,}".replace(",", ".")
        )
        shot(clerk, "2-package-received")
        # One receipt for the citizen: the package code, each part, the one total.
        receipt = pdf_text(clerk, clerk.get_by_test_id("package-receipt").get_attribute("href"))
        assert package.code in receipt and "TỔNG CỘNG" in receipt
        for p in package.parts.select_related("dossier"):
            assert p.dossier.code in receipt

        # 2. Birth registration first: the agency's steps, then the result.
        birth = at_agency(world, part(package, BIRTH).dossier)
        move(birth, "result_ready", world.agency_officer)
        clerk.reload()
        expect(clerk.get_by_test_id("parts")).to_contain_text(
            f"Bắt đầu với kết quả của {birth.code}"
        )
        expect(clerk.get_by_test_id("parts")).not_to_contain_text("Chờ kết quả của phần khác")
        shot(clerk, "3-second-step-started")

        # The citizen, signed in with their checked ID number, sees the parts under the package.
        make_user(
            "lan",
            "Nguyễn Thị Lan",
            level=Level.VERIFIED,
            declared_id_number="045190001234",
            verified_id_number="045190001234",
            verified_at=timezone.now(),
        )
        lan = people.tab("lan")
        lan.goto(reverse("mine:dossiers"))
        expect(lan.get_by_test_id("package-row")).to_contain_text(package.code)
        expect(lan.get_by_test_id("package-part")).to_have_count(3)
        shot(lan, "3b-my-dossiers")

        # 3. The citizen follows the package by its code and the phone's last digits.
        citizen = people.browser.new_context(base_url=live_server.url, locale="vi-VN")
        people.contexts.append(citizen)
        public = citizen.new_page()
        public.goto(reverse("dossiers:track"))
        public.locator("#id_code").fill(package.code)
        public.locator("#id_phone_last4").fill("5678")
        public.locator('form[action="/track/"] button').click()
        expect(public.get_by_test_id("package-tracking")).to_contain_text("Đăng ký thường trú")
        expect(public.get_by_test_id("package-tracking")).not_to_contain_text("Nguyễn Thị Lan")
        shot(public, "4-public-tracking")

        # 4. The other parts decide; every result is collected into the package's item.
        _result_collected(world, birth, decided=True)
        postman = people.tab("postman_a")
        postman.goto(reverse("dossiers:package", args=[package.pk]))
        expect(postman.get_by_test_id("out-for-delivery")).to_have_count(0)
        _result_collected(world, part(package, RESIDENCE).dossier)
        _result_collected(world, part(package, INSURANCE).dossier)

        # 5. One delivery, one proof.
        postman.reload()
        postman.get_by_test_id("out-for-delivery").click()
        expect(postman.locator(".alert-success")).to_contain_text("mang đi phát")
        postman.locator("#id_recipient_name").fill("Nguyễn Thị Lan")
        postman.locator("#id_id_last4").fill("1234")
        sign(postman, postman.locator("[data-signature-pad]"))
        shot(postman, "5-proof")
        postman.get_by_test_id("deliver").click()
        expect(postman.get_by_test_id("delivered")).to_contain_text("Nguyễn Thị Lan")
        expect(postman.get_by_test_id("package-state")).to_have_text("Đã phát thành công")
        shot(postman, "6-delivered")
    finally:
        people.close()

    package.refresh_from_db()
    assert package.status == PackageStatus.DELIVERED
    assert {p.dossier.status for p in package.parts.select_related("dossier")} == {State.DELIVERED}
    assert ProofOfDelivery.objects.filter(dossier__package_part__package=package).count() == 1
    assert (
        PostalItem.objects.filter(
            dossier__package_part__package=package, leg=PostalItem.Leg.RETURN
        ).count()
        == 1
    )
