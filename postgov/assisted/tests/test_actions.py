"""The steps of an assisted session, as the clerk of point A takes them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from postgov.assisted import actions
from postgov.assisted.actions import AssistedError, ReturnByPost, Start
from postgov.assisted.models import AssistedSession, Outcome, SessionEvent, Status
from postgov.audit.models import AuditEvent
from postgov.dossiers.orders.models import OrderKind, PostalOrder
from postgov.identity.access import Access

from .conftest import CODE_A

pytestmark = [pytest.mark.clock, pytest.mark.usefixtures("english")]


def _start(world, procedure=None, user=None, **extra):
    user = user or world.clerk_a
    data = {
        "point_id": world.point_a.pk,
        "citizen_name": "Trần Thị Hoa",
        "portal": "national",
        "citizen_phone": "0912 345 678",
        "citizen_id_number": "044190001234",
        "procedure": procedure,
        **extra,
    }
    return actions.start_session(Start(**data), user=user, access=Access.for_user(user))


def _who(user):
    return {"user": user, "access": Access.for_user(user)}


def _submitted(world, procedure, traveller=None):
    session = _start(world, procedure)
    actions.record_consent(session.pk, method="screen", affirmed=True, **_who(world.clerk_a))
    if traveller is not None:
        traveller.shift(timedelta(minutes=18))
    return actions.record_outcome(
        session.pk, outcome=Outcome.SUBMITTED, portal_code=CODE_A.lower(), **_who(world.clerk_a)
    )


def test_a_whole_session_from_consent_to_fee(world, procedure, tariff, _pinned_clock):
    session = _submitted(world, procedure, _pinned_clock)
    assert session.status == Status.ENDED and session.portal_code == CODE_A
    assert session.minutes_spent == 18
    session = actions.record_fee(session.pk, **_who(world.clerk_a))
    assert session.status == Status.CLOSED
    assert (session.fee_base, session.fee_due) == (20000, 20000)
    assert session.receipt_number.startswith("HT")
    steps = list(SessionEvent.objects.values_list("action", flat=True))
    assert steps == ["started", "consented", "submitted", "fee_recorded"]
    audited = AuditEvent.objects.filter(action__startswith="assisted.")
    assert audited.count() == 4
    # Personal data stays out of the trail.
    for event in audited:
        text = str(event.details)
        assert "Hoa" not in text and "0912" not in text and "044190001234" not in text


def test_nothing_happens_before_consent(world, procedure, tariff):
    session = _start(world, procedure)
    with pytest.raises(AssistedError, match="consent first"):
        actions.record_outcome(
            session.pk, outcome=Outcome.SUBMITTED, portal_code=CODE_A, **_who(world.clerk_a)
        )
    with pytest.raises(AssistedError, match="outcome of the session before"):
        actions.record_fee(session.pk, **_who(world.clerk_a))


def test_consent_needs_the_tick_or_the_paper_number(world, procedure):
    session = _start(world, procedure)
    with pytest.raises(AssistedError, match="tick"):
        actions.record_consent(session.pk, method="screen", affirmed=False, **_who(world.clerk_a))
    with pytest.raises(AssistedError, match="number of the signed"):
        actions.record_consent(session.pk, method="paper", affirmed=False, **_who(world.clerk_a))
    session = actions.record_consent(
        session.pk,
        method="paper",
        affirmed=False,
        paper_reference="GDY-0007",
        **_who(world.clerk_a),
    )
    assert session.consent_reference == "GDY-0007" and session.consent_notice_version
    with pytest.raises(AssistedError, match="already recorded"):
        actions.record_consent(session.pk, method="screen", affirmed=True, **_who(world.clerk_a))


@pytest.mark.parametrize("code", ["", "   ", "HS-123", "000.00.44.H56-2603-1"])
def test_a_submitted_outcome_needs_a_well_formed_portal_code(world, procedure, code):
    session = _start(world, procedure)
    actions.record_consent(session.pk, method="screen", affirmed=True, **_who(world.clerk_a))
    with pytest.raises(AssistedError):
        actions.record_outcome(
            session.pk, outcome=Outcome.SUBMITTED, portal_code=code, **_who(world.clerk_a)
        )
    assert AssistedSession.objects.get().status == Status.CONSENTED


def test_not_possible_needs_a_reason_and_a_closed_session_stays_closed(world, procedure):
    session = _start(world, procedure)
    actions.record_consent(session.pk, method="screen", affirmed=True, **_who(world.clerk_a))
    with pytest.raises(AssistedError, match="why"):
        actions.record_outcome(session.pk, outcome=Outcome.NOT_POSSIBLE, **_who(world.clerk_a))
    with pytest.raises(AssistedError, match="few words"):
        actions.record_outcome(
            session.pk, outcome=Outcome.NOT_POSSIBLE, reason="other", **_who(world.clerk_a)
        )
    actions.record_outcome(
        session.pk, outcome=Outcome.NOT_POSSIBLE, reason="portal_down", **_who(world.clerk_a)
    )
    with pytest.raises(AssistedError, match="already closed"):
        actions.record_outcome(
            session.pk, outcome=Outcome.SUBMITTED, portal_code=CODE_A, **_who(world.clerk_a)
        )


def test_a_session_that_could_not_be_done_costs_what_the_tariff_says_for_it(
    world, procedure, tariff
):
    def not_possible():
        session = _start(world, procedure)
        actions.record_consent(session.pk, method="screen", affirmed=True, **_who(world.clerk_a))
        actions.record_outcome(
            session.pk, outcome=Outcome.NOT_POSSIBLE, reason="portal_down", **_who(world.clerk_a)
        )
        return actions.record_fee(session.pk, **_who(world.clerk_a))

    session = not_possible()
    assert (session.fee_base, session.fee_due) == (0, 0) and session.receipt_number
    tariff.amount_not_possible = 5000
    tariff.save()
    session = not_possible()
    assert (session.fee_base, session.fee_due) == (5000, 5000)
    assert SessionEvent.objects.filter(session=session, action="fee_recorded").exists()


@pytest.mark.parametrize(
    "note", ["OTP là 483920", "mật khẩu: Hoa@1990", "password Hoa1990", "mã 123456 gửi về"]
)
def test_notes_that_look_like_a_password_or_a_code_are_refused(world, procedure, note):
    session = _start(world, procedure)
    actions.record_consent(session.pk, method="screen", affirmed=True, **_who(world.clerk_a))
    with pytest.raises(AssistedError, match="password or a one-time code"):
        actions.record_outcome(
            session.pk,
            outcome=Outcome.NOT_POSSIBLE,
            reason="other",
            note=note,
            **_who(world.clerk_a),
        )


def test_a_free_text_service_name_is_enough_and_checked_too(world):
    session = _start(world, service_name="Đăng ký tạm trú trực tuyến (Thông tư 55/2021)")
    assert session.what.startswith("Đăng ký tạm trú")
    with pytest.raises(AssistedError, match="procedure or write"):
        _start(world)
    with pytest.raises(AssistedError, match="one-time code"):
        _start(world, service_name="Tạm trú, OTP 555111")


def test_an_exemption_needs_its_proof_and_costs_nothing(world, procedure, tariff, elderly):
    session = _submitted(world, procedure)
    with pytest.raises(AssistedError, match="proof of the exemption"):
        actions.record_fee(session.pk, exemption=elderly, exemption_note=" ", **_who(world.clerk_a))
    session = actions.record_fee(
        session.pk, exemption=elderly, exemption_note="CCCD sinh năm 1948", **_who(world.clerk_a)
    )
    assert (session.fee_base, session.fee_due, session.exemption) == (20000, 0, elderly)
    with pytest.raises(AssistedError, match="already recorded"):
        actions.record_fee(session.pk, **_who(world.clerk_a))


def test_without_a_tariff_the_fee_is_refused_with_words(world, procedure):
    session = _submitted(world, procedure)
    with pytest.raises(AssistedError, match="No assistance tariff"):
        actions.record_fee(session.pk, **_who(world.clerk_a))


def test_the_result_comes_by_post_once(world, procedure, tariff):
    session = _submitted(world, procedure)
    post = ReturnByPost(
        recipient_name="Trần Thị Hoa",
        recipient_phone="0912345678",
        address="12 Lê Lợi",
        commune=world.commune_a,
    )
    order = actions.return_by_post(session.pk, post, **_who(world.clerk_a))
    assert order.kind == OrderKind.RESULT_DELIVERY and order.portal_code == CODE_A
    assert order.agency == world.agency_a and order.service_point == world.point_a
    assert AssistedSession.objects.get().order == order
    assert AuditEvent.objects.filter(action="assisted.return_by_post").count() == 1
    assert AuditEvent.objects.filter(action="order.order").count() == 1
    with pytest.raises(AssistedError, match="already ordered by post"):
        actions.return_by_post(session.pk, post, **_who(world.clerk_a))
    assert PostalOrder.objects.count() == 1


def test_a_refused_order_leaves_the_session_unlinked_and_says_why(world, procedure):
    session = _submitted(world, procedure)
    post = ReturnByPost(
        recipient_name="Trần Thị Hoa",
        recipient_phone="123",
        address="12 Lê Lợi",
        commune=world.commune_a,
    )
    with pytest.raises(AssistedError):
        actions.return_by_post(session.pk, post, **_who(world.clerk_a))
    assert AssistedSession.objects.get().order is None and not PostalOrder.objects.exists()
    assert AuditEvent.objects.filter(action="assisted.return_refused").count() == 1


def test_an_unknown_agency_code_is_refused(world, procedure):
    session = _start(world, procedure)
    actions.record_consent(session.pk, method="screen", affirmed=True, **_who(world.clerk_a))
    actions.record_outcome(
        session.pk,
        outcome=Outcome.SUBMITTED,
        portal_code="000.99.44.H56-260310-0001",
        **_who(world.clerk_a),
    )
    post = ReturnByPost("Trần Thị Hoa", "0912345678", "12 Lê Lợi", world.commune_a)
    with pytest.raises(AssistedError, match="unit code"):
        actions.return_by_post(session.pk, post, **_who(world.clerk_a))


def test_staff_of_another_point_cannot_touch_a_session(world, procedure):
    session = _start(world, procedure)
    with pytest.raises(AssistedError, match="another post office"):
        actions.record_consent(session.pk, method="screen", affirmed=True, **_who(world.clerk_b))
    with pytest.raises(AssistedError, match="do not work"):
        _start(world, procedure, user=world.clerk_b)
