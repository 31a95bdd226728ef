"""The agency's actions: each only for the right role and agency, each with what it needs,
illegal ones refused with a clear message; the citizen hears of the steps that concern them."""

from __future__ import annotations

import pytest

from postgov.dossiers.actions import TransitionError, perform
from postgov.dossiers.agency.actions import ResultFile, Who, act
from postgov.dossiers.models import ResultDocument
from postgov.dossiers.workflow import State
from postgov.identity.access import Access
from postgov.notify.models import Message
from tests.agency_helpers import at, handed_over, move, sealed

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock


def who(user) -> Who:
    return Who(actor=user, access=Access.for_user(user))


# action, the state it starts from, the data it needs, who may, who may not
CASES = [
    ("accept", State.HANDED_OVER, {}, "agency_receiver", ["officer_b", "clerk_a", "postman_a"]),
    ("start_processing", State.ACCEPTED, {}, "agency_officer", ["agency_receiver", "officer_b"]),
    (
        "refuse",
        State.HANDED_OVER,
        {"reason_code": "NOT_COMPETENT"},
        "agency_receiver",
        ["officer_b", "clerk_a", "auditor"],
    ),
    (
        "request_supplement",
        State.PROCESSING,
        {"missing": ["Giấy chứng sinh"]},
        "agency_receiver",
        ["officer_b", "supervisor_a"],
    ),
    (
        "request_payment",
        State.PROCESSING,
        {"amount": 100_000, "note": "Lệ phí trước bạ"},
        "agency_officer",
        ["agency_receiver", "officer_b"],
    ),
    ("stop", State.PROCESSING, {"reason_code": "LEGAL"}, "agency_officer", ["agency_receiver"]),
    (
        "withdraw",
        State.PROCESSING,
        {"note": "Đơn xin rút ngày 1/12"},
        "agency_receiver",
        ["clerk_a"],
    ),
    (
        "result_ready",
        State.PROCESSING,
        {"documents": [{"name": "Giấy khai sinh", "number": "123/2026"}]},
        "agency_officer",
        ["agency_receiver", "officer_b", "provincial_admin"],
    ),
]


def at_state(world, state):
    dossier = handed_over(world)
    if state in (State.ACCEPTED, State.PROCESSING):
        dossier = move(dossier, "accept", world.agency_receiver)
    if state == State.PROCESSING:
        dossier = move(dossier, "start_processing", world.agency_officer)
    return dossier


@pytest.mark.parametrize("action, state, data, allowed, refused", CASES, ids=[c[0] for c in CASES])
def test_each_action_only_for_the_right_role(world, action, state, data, allowed, refused):
    dossier = at_state(world, state)
    for name in refused:
        with pytest.raises(TransitionError, match="may not|không"):
            act(dossier.pk, action, who(getattr(world, name)), **data)
    dossier, event = act(dossier.pk, action, who(getattr(world, allowed)), **data)
    assert event.action == action and event.national_status is not None


def test_actions_need_their_data(world):
    dossier = at_state(world, State.PROCESSING)
    officer = who(world.agency_officer)
    with pytest.raises(TransitionError):
        act(dossier.pk, "request_supplement", officer, missing=["  "])
    with pytest.raises(TransitionError):
        act(dossier.pk, "stop", officer, reason_code="NOPE")
    with pytest.raises(TransitionError):
        act(dossier.pk, "stop", officer, reason_code="OTHER")  # "other" needs the words
    with pytest.raises(TransitionError):
        act(dossier.pk, "request_payment", officer, amount=-5, note="x")
    with pytest.raises(TransitionError):
        act(dossier.pk, "result_ready", officer, documents=[])
    with pytest.raises(TransitionError):
        act(dossier.pk, "no_such_action", officer)


def test_illegal_transitions_are_refused_with_the_state_named(world):
    dossier = sealed(world)  # not yet at the agency
    with pytest.raises(TransitionError, match="Sealed|niêm phong"):
        act(dossier.pk, "accept", who(world.agency_receiver))


def test_a_supplement_after_a_stop_is_refused(world):
    dossier = at_state(world, State.PROCESSING)
    act(dossier.pk, "request_supplement", who(world.agency_officer), missing=["Tờ khai"])
    act(dossier.pk, "stop", who(world.agency_officer), reason_code="NO_SUPPLEMENT")
    with pytest.raises(TransitionError):
        perform(
            dossier.pk,
            "seal_supplement",
            actor=world.clerk_a,
            access=Access.for_user(world.clerk_a),
        )
    with pytest.raises(TransitionError):
        act(dossier.pk, "supplement_received", who(world.agency_receiver))


def test_result_files_are_checked_and_kept(world):
    dossier = at_state(world, State.PROCESSING)
    officer = who(world.agency_officer)
    with pytest.raises(TransitionError, match="PDF"):
        act(dossier.pk, "result_ready", officer, files=[ResultFile("x.exe", b"MZ\x90\x00")])
    pdf = b"%PDF-1.4\n%%EOF\n"
    dossier, _ = act(
        dossier.pk,
        "result_ready",
        officer,
        documents=[{"name": "Giấy khai sinh", "number": "15/2026"}],
        files=[ResultFile("khai-sinh.pdf", pdf)],
    )
    rows = list(ResultDocument.objects.filter(dossier=dossier).order_by("id"))
    assert [r.name for r in rows] == ["Giấy khai sinh", "khai-sinh.pdf"]
    assert rows[1].content_type == "application/pdf" and rows[1].file.read() == pdf


def test_the_citizen_gets_an_unaccented_sms_with_the_appointment(world):
    dossier = handed_over(world, at("2026-11-30 10:00"))
    sms = Message.objects.get(template="dossier_hand_over")
    assert sms.recipient == dossier.applicant_phone
    assert dossier.code in sms.body and "17:00 03/12/2026" in sms.body
    assert sms.body.isascii(), sms.body


def test_the_api_acts_as_the_system_with_the_agency_recorded(world):
    dossier = at_state(world, State.HANDED_OVER)
    system = Who(via={"agency": world.agency_a.unit_code, "api_key": "pgk_test"})
    dossier, event = act(dossier.pk, "accept", system)
    assert event.actor is None and event.actor_role == ""
    assert event.agency_id == world.agency_a.pk
    assert event.details["via"]["agency"] == world.agency_a.unit_code
