"""The counter-proofing journey in a real browser: the citizen gets an enrolment code,
the clerk scans it and the ID card, ticks the checklist, and the account is level 2."""

from datetime import date

import pytest

from postgov.identity.models import Level
from tests.browser import log_in, log_out

CARD = "045090123456||Ngô Văn Nam|17051990|Nam|Thôn 1, phường Đông Hà, Quảng Trị|01012021"
SHOTS = "var/screenshots"


@pytest.mark.browser
def test_citizen_is_proofed_at_the_counter(page, citizen, clerk_a):
    citizen.gender, citizen.birth_date, citizen.declared_id_number = (
        "male",
        date(1990, 5, 17),
        "045090123456",
    )
    citizen.save()

    # The citizen prepares an enrolment code online.
    log_in(page, "citizen")
    page.goto("/accounts/me/")
    assert "Mức 1" in page.locator("#level-badge").inner_text()
    page.goto("/accounts/me/enrolment/")
    page.get_by_role("button", name="Lấy mã đăng ký xác minh").click()
    code = page.locator("#enrolment-code").inner_text()
    assert len(code.replace("-", "")) == 16
    assert page.locator("#enrolment-card svg").count() == 2  # QR and Code 128
    page.screenshot(path=f"{SHOTS}/proofing_1_enrolment_code.png", full_page=True)
    log_out(page)

    # At the counter: the clerk (password + authenticator code) scans both.
    log_in(page, "clerk_a")
    page.get_by_role("link", name="Xác minh danh tính").first.click()
    page.fill("#id_code", code)  # the scanner types the code and Enter
    page.press("#id_code", "Enter")
    page.wait_for_load_state()
    page.fill("#id_qr", CARD)
    page.press("#id_qr", "Enter")
    page.wait_for_load_state()
    page.screenshot(path=f"{SHOTS}/proofing_2_checklist.png", full_page=True)
    for box in ("#id_face_matches", "#id_security_features", "#id_not_expired"):
        page.check(box)
    page.click("#btn-pass")
    page.wait_for_load_state()
    assert page.locator("#case-status").inner_text() == "đạt"
    page.screenshot(path=f"{SHOTS}/proofing_3_passed.png", full_page=True)
    log_out(page)

    citizen.refresh_from_db()
    assert citizen.level == Level.VERIFIED
    log_in(page, "citizen")
    page.goto("/accounts/me/")
    assert "Mức 2" in page.locator("#level-badge").inner_text()
