"""A training class in Chromium: the trainer opens a class and hands out a scripted case,
the trainee receives it through the real counter screens under the training banner and
makes the scripted mistake, the dossier stays practice, and the trainer sees the mistake."""

from __future__ import annotations

import os

import pytest

from postgov.dossiers.models import Dossier
from postgov.notify.models import Message
from postgov.training.models import Mistake
from postgov.training.scenarios import MistakeKind
from tests.browser import log_in, log_out
from tests.factories import make_intake_catalog

pytestmark = pytest.mark.clock

SHOTS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "var", "screenshots"
)


def shot(page, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_a_trainees_practice_intake_never_leaves_training(page, world, supervisor_a, clerk_a):
    make_intake_catalog(world)

    # The trainer opens a class, adds the new clerk and hands her the exempt citizen.
    log_in(page, "supervisor_a")
    page.goto("/training/")
    page.fill("#id_name", "Lớp giao dịch viên mới tháng 12")
    page.get_by_role("button", name="Mở lớp").click()
    page.wait_for_url("**/training/classes/*/")
    page.select_option("#id_user", label="Nguyễn Thị Lan (clerk_a)")
    page.get_by_role("button", name="Thêm", exact=True).click()
    page.wait_for_load_state()
    page.select_option("#id_scenario", label="Công dân được miễn phí")
    page.get_by_role("button", name="Giao", exact=True).click()
    page.wait_for_load_state()
    assert "Cấp bản sao trích lục hộ tịch" in page.content()
    class_url = page.url
    shot(page, "training-1-class")
    log_out(page)

    # The trainee reads the case card and calls the citizen to the counter.
    log_in(page, "clerk_a")
    page.goto("/training/")
    page.get_by_role("link", name="Công dân được miễn phí").click()
    page.wait_for_url("**/training/cases/*/")
    qr = page.inner_text("#case-qr")
    shot(page, "training-2-case")
    page.get_by_role("button", name="Tiếp nhận tại quầy").click()
    page.wait_for_url("**/dossiers/intake/")
    banner = page.locator("#training-banner")
    assert "TẬP HUẤN — chỉ thực hành" in banner.inner_text()

    # The real wizard: scan, procedure, checklist, fees (the exemption forgotten), seal.
    page.keyboard.type(qr)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.input_value("#id_name") == "Hoàng Văn Sơn"
    page.fill("#id_phone", "0900000104")
    page.select_option("#id_commune", label="Phường Đông Hà")
    page.fill("#id_q", "trich luc ho tich")
    # The live search's answer replaces the list of frequent procedures: wait for it.
    page.wait_for_selector("#procedure-list :text('Thủ tục khớp với từ khóa')")
    choice = page.locator("#procedure-list label", has_text="Cấp bản sao trích lục hộ tịch")
    choice.click()
    page.wait_for_selector("#procedure-list input[name=procedure]:checked")
    shot(page, "training-3-applicant")
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/checklist/")
    assert page.locator("#training-banner").is_visible()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/fees/")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_url("**/confirm/")
    page.get_by_role("button", name="Niêm phong và in").click()
    page.wait_for_url("**/dossiers/*/?sealed=1")

    dossier = Dossier.objects.get()
    assert dossier.practice and dossier.code.startswith("TR-TEST-A-")
    assert dossier.code in page.content()
    assert page.locator("#training-banner").is_visible()
    shot(page, "training-4-sealed")
    assert not Message.objects.exists()
    assert not dossier.items.exists()

    # Out of training the practice dossier is gone from the clerk's screens.
    page.get_by_role("button", name="Rời tập huấn").click()
    page.wait_for_load_state()
    page.goto("/dossiers/today/")
    assert dossier.code not in page.content()
    assert not page.locator("#training-banner").count()
    log_out(page)

    # The trainer sees the case sealed with its mistake.
    assert list(Mistake.objects.values_list("kind", flat=True)) == [MistakeKind.CHARGED_EXEMPT]
    log_in(page, "supervisor_a")
    page.goto(class_url)
    section = page.locator("#trainee-clerk_a")
    assert dossier.code in section.inner_text()
    assert "Thu tiền của công dân được miễn" in section.inner_text()
    shot(page, "training-5-mistake")
