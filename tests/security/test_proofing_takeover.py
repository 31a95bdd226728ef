"""Counter proofing cannot take over someone else's account.

A card that differs from the account beyond a small correction cannot be confirmed by
the clerk alone: a supervisor of the point decides (with a reason, audited), the account
holder is told through their verified phone or e-mail, and a wrong scan can be scanned
again on the same case.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from postgov.audit.models import AuditEvent
from postgov.identity import actions, proofing
from postgov.identity.models import Level, ProofingCase, Role, User
from postgov.identity.tests.oidc_helpers import log_in_session
from postgov.notify.models import Message
from tests.personas import give_role, make_user

pytestmark = pytest.mark.django_db

ACCOUNT_NUMBER = "045090123456"


def qr(
    number: str = ACCOUNT_NUMBER,
    name: str = "Ngô Văn Nam",
    birth: str = "17051990",
    gender: str = "Nam",
) -> str:
    return f"{number}||{name}|{birth}|{gender}|Thôn 1, phường Đông Hà, Quảng Trị|01012021"


OWN_CARD = qr()
# Someone else's genuine card: number, name, date of birth and gender all differ.
STRANGER_CARD = qr("079195001234", "Trần Thị Hoa", "02111995", "Nữ")
PASS = {
    "action": "decide",
    "face_matches": "on",
    "security_features": "on",
    "not_expired": "on",
    "outcome": "pass",
}


@pytest.fixture
def holder(citizen):
    """The account holder: declared facts as at registration, phone verified (the
    fixture's e-mail is not)."""
    citizen.gender, citizen.birth_date, citizen.declared_id_number = (
        "male",
        date(1990, 5, 17),
        ACCOUNT_NUMBER,
    )
    citizen.save()
    return citizen


@pytest.fixture
def supervisor_b(world):
    user = make_user("supervisor_b", "Lý Thị Oanh")
    give_role(user, Role.SUPERVISOR, service_point=world.point_b)
    return user


def open_case(client, clerk, user) -> ProofingCase:
    code = actions.issue_enrolment_code(None, user)
    log_in_session(client, clerk)
    response = client.post(reverse("identity:proofing_start"), {"code": code})
    assert response.status_code == 302, response.content[:500]
    return ProofingCase.objects.latest("pk")


def case_url(case: ProofingCase) -> str:
    return reverse("identity:proofing_case", args=[case.pk])


def review_url(case: ProofingCase) -> str:
    return reverse("identity:proofing_review", args=[case.pk])


def identity_of(user: User) -> tuple:
    user.refresh_from_db()
    return (
        user.full_name,
        user.birth_date,
        user.gender,
        user.declared_id_number,
        user.verified_id_number,
        user.level,
    )


def sent_to_supervisor(client, clerk, holder, card: str = STRANGER_CARD) -> ProofingCase:
    case = open_case(client, clerk, holder)
    client.post(case_url(case), {"action": "card", "qr": card})
    client.post(case_url(case), {**PASS, "outcome": "review", "note": "thẻ khác tài khoản"})
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.REVIEW
    return case


# -- the takeover attempt ------------------------------------------------------------------
def test_a_stranger_card_cannot_be_confirmed_by_the_clerk(client, clerk_a, holder):
    before = identity_of(holder)
    case = open_case(client, clerk_a, holder)
    client.post(case_url(case), {"action": "card", "qr": STRANGER_CARD})
    case.refresh_from_db()
    assert case.card_match == ProofingCase.Match.MISMATCH
    page = client.get(case_url(case)).content.decode()
    assert 'id="needs-supervisor"' in page and 'id="btn-pass"' not in page
    assert 'id="btn-review"' in page

    # Even the "confirmed" button posted by hand does not confirm.
    client.post(case_url(case), PASS)
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.REVIEW
    assert identity_of(holder) == before
    assert case.enrolment_code.used_at is None
    assert not AuditEvent.objects.filter(action="identity.level_raised").exists()
    scanned = AuditEvent.objects.get(action="proofing.card_scanned")
    assert scanned.details["match"] == "mismatch"
    assert set(scanned.details["reasons"]) == {"id_number", "name", "birth_date", "gender"}
    decided = AuditEvent.objects.get(action="proofing.review")
    assert decided.details["match"] == "mismatch"


def test_the_clerk_is_told_why_in_the_pages_language(client, clerk_a, holder):
    case = open_case(client, clerk_a, holder)
    client.post(case_url(case), {"action": "card", "qr": STRANGER_CARD})
    vietnamese = client.get(case_url(case)).content.decode()
    assert "Bạn không thể tự xác nhận danh tính này." in vietnamese
    assert "Số định danh trên thẻ không phải số tài khoản đã khai." in vietnamese
    assert "You cannot confirm this identity alone." not in vietnamese

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(case_url(case)).content.decode()
    assert "You cannot confirm this identity alone." in english
    assert "The ID number on the card is not the one the account declared." in english
    assert "Bạn không thể tự xác nhận" not in english


@pytest.mark.parametrize(
    ("card", "fact", "state"),
    [
        # Diacritics missing on the account's side or the card's are no difference.
        (qr(name="Ngo Van Nam"), "name", "same"),
        (qr(name="Ngô Văn Nem"), "name", "correction"),  # a typo
        (qr(name="Ngô Vnă Nam"), "name", "correction"),  # two letters swapped
        (qr(birth="18051990"), "birth_date", "correction"),  # the day
        (qr(birth="17061990"), "birth_date", "correction"),  # the month
    ],
    ids=["diacritics", "typo", "swapped-letters", "birth-day", "birth-month"],
)
def test_a_small_correction_is_still_confirmed_at_the_counter(
    client, clerk_a, holder, card, fact, state
):
    case = open_case(client, clerk_a, holder)
    client.post(case_url(case), {"action": "card", "qr": card})
    page = client.get(case_url(case)).content.decode()
    assert f'data-fact="{fact}" data-state="{state}"' in page
    assert 'id="btn-pass"' in page and 'id="needs-supervisor"' not in page
    client.post(case_url(case), PASS)
    case.refresh_from_db()
    holder.refresh_from_db()
    assert case.status == ProofingCase.Status.PASSED
    assert holder.level == Level.VERIFIED and holder.verified_id_number == ACCOUNT_NUMBER
    # The card is authoritative for what it corrects.
    assert holder.full_name == card.split("|")[2]
    assert not Message.objects.filter(template="identity_proofing_attempt").exists()


def test_an_account_without_a_declared_number_is_tied_by_its_birth_date(client, clerk_a, holder):
    holder.declared_id_number = ""
    holder.save()
    case = open_case(client, clerk_a, holder)
    client.post(case_url(case), {"action": "card", "qr": qr(name="Ngô Văn Nem")})
    page = client.get(case_url(case)).content.decode()
    assert 'data-fact="id_number" data-state="filled"' in page
    client.post(case_url(case), PASS)
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.PASSED


def test_re_proofing_with_another_number_than_the_verified_one_goes_to_the_supervisor(
    client, clerk_a, holder
):
    # Recovery dropped the account to level 1; its verified number stays bound.
    holder.verified_id_number, holder.declared_id_number = ACCOUNT_NUMBER, ACCOUNT_NUMBER
    holder.save()
    other_number = "045090654321"
    case = open_case(client, clerk_a, holder)
    client.post(case_url(case), {"action": "card", "qr": qr(number=other_number)})
    client.post(case_url(case), PASS)
    case.refresh_from_db()
    holder.refresh_from_db()
    assert case.status == ProofingCase.Status.REVIEW
    assert holder.verified_id_number == ACCOUNT_NUMBER and holder.level == Level.BASIC


# -- what counts as a small correction ---------------------------------------------------------
def account(**facts) -> User:
    values = {
        "full_name": "Ngô Văn Nam",
        "birth_date": date(1990, 5, 17),
        "gender": "male",
        "declared_id_number": ACCOUNT_NUMBER,
        **facts,
    }
    return User(username="x", **values)


def card(**facts) -> dict:
    return {
        "id_number": ACCOUNT_NUMBER,
        "full_name": "Ngô Văn Nam",
        "birth_date": "1990-05-17",
        "gender": "male",
        **facts,
    }


@pytest.mark.parametrize(
    ("user", "scanned", "match", "reasons"),
    [
        (account(), card(), "same", ()),
        (account(full_name="NGO VAN  NAM"), card(), "same", ()),
        (account(full_name="Ngô Văn Nm"), card(), "correction", ()),
        (account(full_name="Ngo Vn Nm"), card(), "correction", ()),
        (account(), card(birth_date="1990-05-18"), "correction", ()),
        (account(declared_id_number=""), card(), "same", ()),
        (account(gender="", birth_date=None), card(), "same", ()),
        (account(full_name="Ngô Văn Bình"), card(), "mismatch", ("name",)),
        (account(full_name="Ng Vn Nm"), card(), "mismatch", ("name",)),
        (account(), card(birth_date="1990-06-18"), "mismatch", ("birth_date",)),
        (account(), card(birth_date="1991-05-17"), "correction", ()),
        (account(), card(gender="female"), "mismatch", ("gender",)),
        (account(), card(id_number="045090000001"), "mismatch", ("id_number",)),
        (
            account(full_name="Ngô Văn Nem"),
            card(birth_date="1990-05-18"),
            "mismatch",
            ("two_corrections",),
        ),
        (account(declared_id_number="", birth_date=None), card(), "mismatch", ("untied",)),
        (
            account(declared_id_number=""),
            card(birth_date="1990-05-18"),
            "mismatch",
            ("untied",),
        ),
        (
            account(verified_id_number="045090000001", declared_id_number="045090000001"),
            card(),
            "mismatch",
            ("id_number",),
        ),
    ],
)
def test_what_a_small_correction_is(user, scanned, match, reasons):
    check = proofing.assess(user, scanned)
    assert (check.match, check.reasons) == (match, reasons)


# -- the account holder is told ------------------------------------------------------------
def test_the_holder_is_told_once_with_nothing_about_the_card(client, clerk_a, holder):
    case = open_case(client, clerk_a, holder)
    client.post(case_url(case), {"action": "card", "qr": STRANGER_CARD})
    told = Message.objects.filter(template="identity_proofing_attempt")
    assert [(m.channel, m.recipient) for m in told] == [("sms", holder.phone)]
    text = told.get().body
    assert "Buu dien Dong Ha" in text
    for detail in ("079195001234", "Tran", "Hoa", "1995", "02/11"):
        assert detail not in text
    # The same wrong card read twice: one message.
    client.post(case_url(case), {**PASS, "rescan": "1", "rescan-qr": STRANGER_CARD})
    client.post(case_url(case), {**PASS, "outcome": "review"})
    assert told.count() == 1
    assert AuditEvent.objects.filter(action="proofing.holder_notified").count() == 1


def test_the_holder_is_told_by_verified_e_mail_too(client, clerk_a, holder):
    holder.email_verified_at = timezone.now()
    holder.save()
    case = open_case(client, clerk_a, holder)
    client.post(case_url(case), {"action": "card", "qr": STRANGER_CARD})
    email = Message.objects.get(template="identity_proofing_attempt", channel="email")
    assert email.recipient == holder.email and "Bưu điện Đông Hà" in email.body
    assert "Trần" not in email.body and "079195001234" not in email.body


def test_an_unverified_phone_is_not_told(client, clerk_a, holder):
    holder.phone_verified_at = None
    holder.save()
    case = open_case(client, clerk_a, holder)
    client.post(case_url(case), {"action": "card", "qr": STRANGER_CARD})
    assert not Message.objects.filter(template="identity_proofing_attempt").exists()
    assert (
        "không có điện thoại hoặc e-mail đã xác minh" in client.get(case_url(case)).content.decode()
    )


# -- the supervisor decides -----------------------------------------------------------------
def test_the_supervisor_sees_the_case_and_approves_with_a_reason(
    client, clerk_a, supervisor_a, holder
):
    case = sent_to_supervisor(client, clerk_a, holder, qr(name="Ngô Thị Lan Hương"))
    log_in_session(client, supervisor_a)
    start = client.get(reverse("identity:proofing_start")).content.decode()
    assert 'id="review-queue-link"' in start
    queue = client.get(reverse("identity:proofing_review_queue"))
    assert [c.pk for c in queue.context["page_obj"]] == [case.pk]
    page = client.get(review_url(case)).content.decode()
    assert "Tên trên thẻ khác tên tài khoản nhiều hơn một lỗi gõ." in page

    # A decision needs a reason.
    response = client.post(review_url(case), {"decision": "approve", "note": ""})
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.REVIEW

    client.post(review_url(case), {"decision": "approve", "note": "đổi tên theo quyết định"})
    case.refresh_from_db()
    holder.refresh_from_db()
    assert case.status == ProofingCase.Status.APPROVED and case.reviewed_by == supervisor_a
    assert holder.level == Level.VERIFIED and holder.full_name == "Ngô Thị Lan Hương"
    assert case.enrolment_code.used_at is not None
    event = AuditEvent.objects.get(action="proofing.review_approved")
    assert event.actor_id == supervisor_a.pk and event.role == Role.SUPERVISOR
    assert event.details["reason"] == "đổi tên theo quyết định"
    assert event.details["match"] == "mismatch"
    assert AuditEvent.objects.filter(action="identity.level_raised", actor_id=supervisor_a.pk)


def test_the_supervisor_rejects_and_the_account_stays_as_it_was(
    client, clerk_a, supervisor_a, holder
):
    before = identity_of(holder)
    case = sent_to_supervisor(client, clerk_a, holder)
    log_in_session(client, supervisor_a)
    client.post(review_url(case), {"decision": "reject", "note": "thẻ của người khác"})
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.REJECTED
    assert identity_of(holder) == before
    assert case.enrolment_code.used_at is not None  # not tried again at another counter
    event = AuditEvent.objects.get(action="proofing.review_rejected")
    assert event.details["reason"] == "thẻ của người khác"
    refused = Message.objects.get(template="identity_proofing_refused")
    assert refused.recipient == holder.phone and "Tran" not in refused.body


@pytest.mark.parametrize("who", ["clerk_b", "supervisor_b"])
def test_staff_of_another_point_cannot_see_or_decide(client, clerk_a, holder, who, request):
    case = sent_to_supervisor(client, clerk_a, holder)
    log_in_session(client, request.getfixturevalue(who))
    assert client.get(case_url(case)).status_code == 404
    response = client.post(review_url(case), {"decision": "approve", "note": "ok"})
    assert response.status_code in (403, 404)
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.REVIEW
    assert identity_of(holder)[-1] == Level.BASIC


@pytest.mark.parametrize("who", ["clerk_a", "outsider", "citizen", "postman_a"])
def test_only_a_supervisor_decides(client, clerk_a, holder, world, who):
    case = sent_to_supervisor(client, clerk_a, holder)
    log_in_session(client, getattr(world, who))
    assert client.get(review_url(case)).status_code == 403
    assert client.post(review_url(case), {"decision": "approve", "note": "ok"}).status_code == 403
    assert client.get(reverse("identity:proofing_review_queue")).status_code == 403
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.REVIEW


def test_anonymous_visitors_are_sent_to_log_in(client, clerk_a, holder):
    case = sent_to_supervisor(client, clerk_a, holder)
    client.logout()
    response = client.post(review_url(case), {"decision": "approve", "note": "ok"})
    assert response["Location"].startswith("/accounts/login/")


def test_a_supervisor_does_not_decide_a_case_they_opened(client, supervisor_a, holder):
    case = sent_to_supervisor(client, supervisor_a, holder)
    page = client.get(review_url(case)).content.decode()
    assert 'id="own-case"' in page and 'id="btn-approve"' not in page
    client.post(review_url(case), {"decision": "approve", "note": "tôi tự duyệt"})
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.REVIEW
    assert identity_of(holder)[-1] == Level.BASIC


# -- scanning again -------------------------------------------------------------------------
def test_a_wrong_card_is_scanned_again_keeping_what_the_clerk_typed(client, clerk_a, holder):
    case = open_case(client, clerk_a, holder)
    client.post(case_url(case), {"action": "card", "qr": STRANGER_CARD})
    response = client.post(
        case_url(case),
        {**PASS, "note": "khách đưa nhầm thẻ của vợ", "rescan": "1", "rescan-qr": OWN_CARD},
    )
    assert response.status_code == 200
    page = response.content.decode()
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.OPEN
    assert case.card["id_number"] == ACCOUNT_NUMBER and case.card_match == "same"
    assert "khách đưa nhầm thẻ của vợ" in page
    # The ticks were about the other card: checked again.
    assert not response.context["checklist_form"].initial.get("face_matches")
    assert 'id="btn-pass"' in page
    assert AuditEvent.objects.get(action="proofing.card_rescanned").details["same_card"] is False

    client.post(case_url(case), PASS)
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.PASSED


def test_a_misread_of_the_same_card_keeps_the_ticks(client, clerk_a, holder):
    case = open_case(client, clerk_a, holder)
    client.post(case_url(case), {"action": "card", "qr": qr(name="Ngô Văn X")})
    response = client.post(
        case_url(case), {**PASS, "note": "đọc lại", "rescan": "1", "rescan-qr": OWN_CARD}
    )
    initial = response.context["checklist_form"].initial
    assert initial["face_matches"] and initial["not_expired"] and initial["note"] == "đọc lại"


def test_a_bad_second_scan_keeps_the_first_card_and_the_typing(client, clerk_a, holder):
    case = open_case(client, clerk_a, holder)
    client.post(case_url(case), {"action": "card", "qr": OWN_CARD})
    response = client.post(
        case_url(case), {**PASS, "note": "ghi chú", "rescan": "1", "rescan-qr": "045|rác"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "thẻ căn cước" in page and "ghi chú" in page
    case.refresh_from_db()
    assert case.card["id_number"] == ACCOUNT_NUMBER and case.status == ProofingCase.Status.OPEN
    # An Enter with nothing scanned neither confirms nor loses anything.
    response = client.post(case_url(case), {**PASS, "note": "ghi chú", "rescan": "1"})
    case.refresh_from_db()
    assert response.status_code == 200 and case.status == ProofingCase.Status.OPEN


def test_an_assisted_registration_keeps_its_fields_over_a_second_scan(client, clerk_a, world):
    log_in_session(client, clerk_a)
    client.post(reverse("identity:proofing_start"), {"action": "assisted"})
    case = ProofingCase.objects.get()
    client.post(case_url(case), {"action": "card", "qr": STRANGER_CARD})
    typed = {
        "username": "ngo.nam",
        "current_address": "Thôn 1",
        "current_commune": world.commune_a.pk,
    }
    response = client.post(case_url(case), {**PASS, **typed, "rescan": "1", "rescan-qr": OWN_CARD})
    assert response.context["assisted_form"].initial["username"] == "ngo.nam"
    assert 'value="ngo.nam"' in response.content.decode()


def test_a_decided_case_is_not_scanned_again(client, clerk_a, holder):
    case = sent_to_supervisor(client, clerk_a, holder)
    client.post(case_url(case), {**PASS, "rescan": "1", "rescan-qr": OWN_CARD})
    case.refresh_from_db()
    assert case.card["id_number"] == "079195001234"


# -- a verified number never moves silently ---------------------------------------------------
def make_verified_other(number: str = ACCOUNT_NUMBER) -> User:
    return User.objects.create(
        username="first",
        full_name="Ngô Văn Nam",
        level=Level.VERIFIED,
        verified_id_number=number,
        phone="0987654321",
        phone_verified_at=timezone.now(),
    )


def test_a_number_verified_on_another_account_since_the_scan_goes_to_the_supervisor(
    client, clerk_a, holder
):
    case = open_case(client, clerk_a, holder)
    client.post(case_url(case), {"action": "card", "qr": OWN_CARD})
    other = make_verified_other()  # at another counter, meanwhile
    response = client.post(case_url(case), PASS)
    assert response.status_code == 302
    case.refresh_from_db()
    holder.refresh_from_db()
    assert case.status == ProofingCase.Status.REVIEW and case.conflict_user == other
    assert holder.level == Level.BASIC and holder.verified_id_number == ""
    page = client.get(case_url(case)).content.decode()
    assert 'id="conflict"' in page


def test_withdrawing_the_other_verification_tells_its_holder(client, clerk_a, supervisor_a, holder):
    other = make_verified_other()
    case = sent_to_supervisor(client, clerk_a, holder, OWN_CARD)
    assert case.conflict_user == other
    log_in_session(client, supervisor_a)
    response = client.post(review_url(case), {"decision": "approve", "note": "ok"})
    assert response.status_code == 200
    assert "hãy thu hồi xác minh của tài khoản đó trước" in response.content.decode()
    client.post(
        review_url(case),
        {"decision": "approve", "note": "tài khoản kia mạo danh", "unbind_other": "on"},
    )
    other.refresh_from_db()
    holder.refresh_from_db()
    assert other.level == Level.BASIC and other.verified_id_number == ""
    assert holder.level == Level.VERIFIED and holder.verified_id_number == ACCOUNT_NUMBER
    withdrawn = Message.objects.get(template="identity_verification_withdrawn")
    assert withdrawn.recipient == other.phone
    event = AuditEvent.objects.get(action="identity.verification_withdrawn")
    assert event.details["told"] == ["sms"]
    assert AuditEvent.objects.get(action="proofing.review_approved").details["withdrawn"] == (
        other.pk
    )


def test_an_assisted_case_in_review_cannot_be_approved(client, clerk_a, supervisor_a, world):
    make_verified_other()
    log_in_session(client, clerk_a)
    client.post(reverse("identity:proofing_start"), {"action": "assisted"})
    case = ProofingCase.objects.get()
    client.post(case_url(case), {"action": "card", "qr": OWN_CARD})
    client.post(
        case_url(case),
        {
            **PASS,
            "username": "ngo.nam",
            "current_address": "Thôn 1",
            "current_commune": world.commune_a.pk,
        },
    )
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.REVIEW and case.user is None
    log_in_session(client, supervisor_a)
    response = client.post(
        review_url(case), {"decision": "approve", "note": "ok", "unbind_other": "on"}
    )
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.REVIEW
    assert User.objects.get(username="first").level == Level.VERIFIED
    client.post(review_url(case), {"decision": "reject", "note": "đã có tài khoản"})
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.REJECTED
