"""Counter proofing: clerks at their own point, supervisors review their point's queue."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.identity import actions
from postgov.identity.models import Level, ProofingCase, User
from postgov.identity.tests.oidc_helpers import log_in_session
from postgov.notify.models import Message

pytestmark = pytest.mark.django_db

CARD = "045090123456||Ngô Văn Nam|17051990|Nam|Thôn 1, phường Đông Hà, Quảng Trị|01012021"
PASS = {
    "action": "decide",
    "face_matches": "on",
    "security_features": "on",
    "not_expired": "on",
    "outcome": "pass",
}


@pytest.fixture
def applicant(citizen):
    citizen.gender, citizen.birth_date, citizen.declared_id_number = (
        "male",
        date(1990, 5, 17),
        "045090123456",
    )
    citizen.save()
    return citizen


def open_with_code(client, clerk, user) -> ProofingCase:
    code = actions.issue_enrolment_code(None, user)
    log_in_session(client, clerk)
    response = client.post(
        reverse("identity:proofing_start"), {"code": actions.format_code(code).lower()}
    )
    assert response.status_code == 302, response.content[:500]
    return ProofingCase.objects.latest("pk")


@pytest.mark.parametrize(
    "who", ["citizen", "outsider", "postman_a", "agency_officer", "provincial_admin"]
)
def test_it_checks_access_only_clerks_and_supervisors(client, world, who):
    log_in_session(client, getattr(world, who))
    assert client.get(reverse("identity:proofing_start")).status_code == 403


def test_it_checks_access_anonymous(client, world):
    for name in ("identity:proofing_start", "identity:proofing_review_queue"):
        assert client.get(reverse(name))["Location"].startswith("/accounts/login/")


def test_review_queue_is_for_supervisors(client, clerk_a, supervisor_a):
    log_in_session(client, clerk_a)
    assert client.get(reverse("identity:proofing_review_queue")).status_code == 403
    log_in_session(client, supervisor_a)
    assert client.get(reverse("identity:proofing_review_queue")).status_code == 200


def test_menu_shows_proofing_to_clerks(client, clerk_a):
    log_in_session(client, clerk_a)
    assert reverse("identity:proofing_start") in client.get("/").content.decode()


def test_enrolment_code_proofing_passes_and_raises_level(client, clerk_a, applicant):
    case = open_with_code(client, clerk_a, applicant)
    assert case.service_point == clerk_a.role_assignments.get().service_point
    url = reverse("identity:proofing_case", args=[case.pk])
    client.post(url, {"action": "card", "qr": CARD})
    case.refresh_from_db()
    assert case.card["id_number"] == "045090123456" and case.mismatches == []
    client.post(url, PASS)
    case.refresh_from_db()
    applicant.refresh_from_db()
    assert case.status == ProofingCase.Status.PASSED
    assert applicant.level == Level.VERIFIED and applicant.verified_id_number == "045090123456"
    assert case.enrolment_code.used_at is not None
    assert Message.objects.filter(recipient=applicant.phone, template="identity_notice").exists()
    actions_done = set(
        AuditEvent.objects.filter(object_type="identity.proofingcase").values_list(
            "action", flat=True
        )
    )
    assert {"proofing.case_opened", "proofing.card_scanned", "proofing.passed"} <= actions_done
    # The ID number never appears in clear in the audit trail.
    assert "045090123456" not in str(list(AuditEvent.objects.values_list("details", flat=True)))
    # The code is single use.
    response = client.post(reverse("identity:proofing_start"), {"code": "anything"})
    assert response.status_code == 200


def test_a_qr_that_is_not_an_id_card_is_refused_with_a_message(client, clerk_a, applicant):
    case = open_with_code(client, clerk_a, applicant)
    response = client.post(
        reverse("identity:proofing_case", args=[case.pk]),
        {"action": "card", "qr": "https://example.com/not-a-card"},
    )
    assert response.status_code == 200
    assert "thẻ căn cước" in response.content.decode()
    case.refresh_from_db()
    assert case.card == {}


def test_mismatches_are_shown_and_the_card_wins(client, clerk_a, applicant):
    applicant.full_name = "Ngo Van Nem"
    applicant.save()
    case = open_with_code(client, clerk_a, applicant)
    url = reverse("identity:proofing_case", args=[case.pk])
    client.post(url, {"action": "card", "qr": CARD})
    case.refresh_from_db()
    assert case.mismatches == ["name"]
    assert 'id="mismatches"' in client.get(url).content.decode()
    client.post(url, PASS)
    applicant.refresh_from_db()
    assert applicant.full_name == "Ngô Văn Nam"


def test_unticked_checklist_fails(client, clerk_a, applicant):
    case = open_with_code(client, clerk_a, applicant)
    url = reverse("identity:proofing_case", args=[case.pk])
    client.post(url, {"action": "card", "qr": CARD})
    client.post(url, {**PASS, "face_matches": ""})
    case.refresh_from_db()
    applicant.refresh_from_db()
    assert case.status == ProofingCase.Status.FAILED and applicant.level == Level.BASIC


def test_fraud_flag_goes_to_the_supervisor(client, clerk_a, supervisor_a, applicant):
    case = open_with_code(client, clerk_a, applicant)
    url = reverse("identity:proofing_case", args=[case.pk])
    client.post(url, {"action": "card", "qr": CARD})
    client.post(url, {**PASS, "fraud": "on", "note": "ảnh không giống"})
    case.refresh_from_db()
    assert case.status == ProofingCase.Status.REVIEW
    log_in_session(client, supervisor_a)
    queue = client.get(reverse("identity:proofing_review_queue")).context["page_obj"]
    assert [c.pk for c in queue] == [case.pk]
    client.post(
        reverse("identity:proofing_review", args=[case.pk]),
        {"decision": "reject", "note": "giả mạo"},
    )
    case.refresh_from_db()
    applicant.refresh_from_db()
    assert case.status == ProofingCase.Status.REJECTED and applicant.level == Level.BASIC
    assert AuditEvent.objects.filter(action="proofing.review_rejected").exists()


def test_second_account_with_a_verified_number_goes_to_review_never_merged(
    client, clerk_a, supervisor_a, applicant, world
):
    first = User.objects.create(
        username="first",
        full_name="Ngô Văn Nam",
        level=Level.VERIFIED,
        verified_id_number="045090123456",
    )
    case = open_with_code(client, clerk_a, applicant)
    url = reverse("identity:proofing_case", args=[case.pk])
    client.post(url, {"action": "card", "qr": CARD})
    assert 'id="conflict"' in client.get(url).content.decode()
    client.post(url, PASS)
    case.refresh_from_db()
    applicant.refresh_from_db()
    assert case.status == ProofingCase.Status.REVIEW and case.conflict_user == first
    assert applicant.level == Level.BASIC and applicant.verified_id_number == ""
    log_in_session(client, supervisor_a)
    # Approving without withdrawing the other verification is refused.
    response = client.post(
        reverse("identity:proofing_review", args=[case.pk]), {"decision": "approve", "note": "ok"}
    )
    assert response.status_code == 200
    client.post(
        reverse("identity:proofing_review", args=[case.pk]),
        {"decision": "approve", "note": "tài khoản kia giả", "unbind_other": "on"},
    )
    first.refresh_from_db()
    applicant.refresh_from_db()
    assert first.level == Level.BASIC and first.verified_id_number == ""
    assert applicant.level == Level.VERIFIED


def test_clerks_only_see_cases_of_their_own_point(
    client, clerk_a, clerk_b, supervisor_a, applicant
):
    case = open_with_code(client, clerk_a, applicant)
    log_in_session(client, clerk_b)
    assert client.get(reverse("identity:proofing_case", args=[case.pk])).status_code == 404
    client.post(reverse("identity:proofing_case", args=[case.pk]), {"action": "card", "qr": CARD})
    case.refresh_from_db()
    assert case.card == {}
    # supervisor_a (point A) sees it; a point-B case would not be in their queue.
    log_in_session(client, supervisor_a)
    assert client.get(reverse("identity:proofing_case", args=[case.pk])).status_code == 200


def test_walk_in_needs_the_code_sent_to_the_account_phone(client, clerk_a, applicant):
    log_in_session(client, clerk_a)
    response = client.post(
        reverse("identity:proofing_start"), {"username": "citizen", "phone": "0912345678"}
    )
    case = ProofingCase.objects.get()
    url = reverse("identity:proofing_case", args=[case.pk])
    assert response["Location"] == url
    client.post(url, {"action": "card", "qr": CARD})
    case.refresh_from_db()
    assert case.card == {}  # not before the account is confirmed
    code = (
        Message.objects.filter(recipient="0912345678")
        .latest("created_at")
        .outgoing()[1]
        .split("la ")[1][:6]
    )
    client.post(url, {"action": "confirm_account", "code": code})
    client.post(url, {"action": "card", "qr": CARD})
    client.post(url, PASS)
    applicant.refresh_from_db()
    assert applicant.level == Level.VERIFIED


def test_unknown_walk_in_is_explained(client, clerk_a):
    log_in_session(client, clerk_a)
    response = client.post(
        reverse("identity:proofing_start"), {"username": "nobody", "phone": "0912345678"}
    )
    assert response.status_code == 200 and not ProofingCase.objects.exists()


def test_assisted_registration_creates_a_level_2_account(client, clerk_a, world):
    log_in_session(client, clerk_a)
    client.post(reverse("identity:proofing_start"), {"action": "assisted"})
    case = ProofingCase.objects.get()
    url = reverse("identity:proofing_case", args=[case.pk])
    client.post(url, {"action": "card", "qr": CARD})
    response = client.post(
        url,
        {
            **PASS,
            "username": "ngo.nam",
            "phone": "",
            "current_address": "Thôn 1",
            "current_commune": world.commune_a.pk,
        },
    )
    assert response.status_code == 200 and "ngo.nam" in response.content.decode()
    user = User.objects.get(username="ngo.nam")
    assert user.level == Level.VERIFIED and user.assisted and user.password_must_change
    assert user.backup_codes.count() == 10


def test_assisted_account_changes_the_printed_password_at_first_login(client, world):
    user = User.objects.create(username="ngo.nam", password_must_change=True)
    user.set_password("a1b2-c3d4-e5f6-0a0b")
    user.save()
    response = client.post(
        "/accounts/login/", {"username": "ngo.nam", "password": "a1b2-c3d4-e5f6-0a0b"}
    )
    assert response["Location"].startswith(reverse("identity:password_change"))
    new = "chim én bay về làng"
    response = client.post(
        response["Location"],
        {
            "old_password": "a1b2-c3d4-e5f6-0a0b",
            "new_password1": new,
            "new_password2": new,
            "next": "/",
        },
    )
    user.refresh_from_db()
    assert not user.password_must_change and response["Location"] == "/"


def test_a_given_password_must_be_changed_before_any_other_page(client, world):
    """Leaving the password page for another address does not skip the change."""
    user = User.objects.create(username="ngo.nam", password_must_change=True)
    user.set_password("a1b2-c3d4-e5f6-0a0b")
    user.save()
    client.post("/accounts/login/", {"username": "ngo.nam", "password": "a1b2-c3d4-e5f6-0a0b"})
    change = reverse("identity:password_change")
    for path in ("/accounts/me/", "/track/", "/catalog/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(change + "?next=")
    assert client.get(change).status_code == 200
    answer = client.get("/api/places/provinces", HTTP_ACCEPT="application/json")
    assert answer.status_code == 403
    assert answer["Content-Type"].startswith("application/problem+json")
