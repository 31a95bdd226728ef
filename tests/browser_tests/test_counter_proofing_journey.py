"""The counter-proofing journey in a real browser: the citizen gets an enrolment code,
the clerk scans it and the ID card, ticks the checklist, and the account is level 2; a
card that is not the account's goes to the supervisor, who decides."""

from datetime import date

import pytest

from postgov.identity import actions
from postgov.identity.models import Level, ProofingCase
from postgov.notify.models import Message
from tests.browser import log_in, log_out

CARD = "045090123456||Ngô Văn Nam|17051990|Nam|Thôn 1, phường Đông Hà, Quảng Trị|01012021"
# Someone else's genuine card: number, name, date of birth and gender all differ.
STRANGER_CARD = (
    "079195001234||Trần Thị Hoa|02111995|Nữ|12 Lê Lợi, phường Bến Thành, TP Hồ Chí Minh|05062022"
)
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


@pytest.mark.browser
def test_a_card_that_is_not_the_accounts_goes_to_the_supervisor(
    page, citizen, clerk_a, supervisor_a
):
    citizen.gender, citizen.birth_date, citizen.declared_id_number = (
        "male",
        date(1990, 5, 17),
        "045090123456",
    )
    citizen.save()
    code = actions.issue_enrolment_code(None, citizen)

    # Someone with their own genuine card brings the account's enrolment code.
    log_in(page, "clerk_a")
    page.goto("/identity/proofing/")
    page.fill("#id_code", code)
    page.press("#id_code", "Enter")
    page.wait_for_load_state()
    page.fill("#id_qr", STRANGER_CARD)
    page.press("#id_qr", "Enter")
    page.wait_for_load_state()
    alert = page.locator("#needs-supervisor")
    assert "Bạn không thể tự xác nhận danh tính này." in alert.inner_text()
    assert "Số định danh trên thẻ không phải số tài khoản đã khai." in alert.inner_text()
    assert page.locator("#btn-pass").count() == 0
    assert page.locator('#comparison tr[data-state="beyond"]').count() == 4
    page.screenshot(path=f"{SHOTS}/proofing_4_not_the_account.png", full_page=True)

    # The clerk thinks it a misread and scans the same card again: the scanner's Enter
    # reads the card again, never confirms, and what the clerk entered stays.
    for box in ("#id_face_matches", "#id_security_features", "#id_not_expired"):
        page.check(box)
    page.fill("#id_note", "Thẻ không khớp tài khoản, người đến quầy nói là của mình.")
    page.fill("#id_rescan-qr", STRANGER_CARD)
    page.press("#id_rescan-qr", "Enter")
    page.wait_for_load_state()
    assert page.locator("#case-status").inner_text() == "đang xử lý"
    assert "Đã đọc lại thẻ." in page.content()
    assert page.locator("#id_face_matches").is_checked()
    assert page.input_value("#id_note").startswith("Thẻ không khớp")
    page.click("#btn-review")
    page.wait_for_load_state()
    assert page.locator("#case-status").inner_text() == "chờ giám sát xem xét"
    page.screenshot(path=f"{SHOTS}/proofing_5_sent_to_supervisor.png", full_page=True)
    log_out(page)

    # The account holder was told, with nothing about the card.
    told = Message.objects.get(template="identity_proofing_attempt")
    assert told.recipient == citizen.phone and "Tran" not in told.body

    # The point's supervisor finds it in the queue and decides, with a reason.
    log_in(page, "supervisor_a")
    page.get_by_role("link", name="Xác minh danh tính").first.click()
    page.click("#review-queue-link")
    page.wait_for_load_state()
    case = ProofingCase.objects.get()
    page.click(f"a[href='/identity/proofing/review/{case.pk}/']")
    page.wait_for_load_state()
    assert (
        "Thẻ khác với tài khoản nhiều hơn một chỉnh sửa nhỏ"
        in page.locator("#review-reasons").inner_text()
    )
    page.screenshot(path=f"{SHOTS}/proofing_6_review.png", full_page=True)
    page.fill("#id_note", "Thẻ của người khác, không phải chủ tài khoản.")
    page.click("#btn-reject")
    page.wait_for_load_state()
    assert "Không có lượt nào cần xem xét." in page.content()
    page.screenshot(path=f"{SHOTS}/proofing_7_review_done.png", full_page=True)

    case.refresh_from_db()
    citizen.refresh_from_db()
    assert case.status == ProofingCase.Status.REJECTED
    assert citizen.level == Level.BASIC and citizen.full_name == "Ngô Văn Nam"
