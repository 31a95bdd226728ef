"""Returning results: proof of delivery, failed attempts with codes, holding after N
failures, delivery at the counter with the same proof."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from postgov.audit.models import AuditEvent
from postgov.delivery.actions import missing_signatures_for, review_missing_signature
from postgov.delivery.models import DeliveryAttempt, MissingSignature, ProofOfDelivery
from postgov.delivery.signatures import ProofFileError, Unsigned, signature_png
from postgov.dossiers.actions import TransitionError
from postgov.dossiers.carriage import returns
from postgov.dossiers.carriage.returns import Place, Proof
from postgov.dossiers.workflow import State
from postgov.identity.access import Access
from postgov.notify.models import Message
from tests.agency_helpers import handed_over, move
from tests.signing import blank, data_url, scribble

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock


def collected(world, **fields):
    dossier = handed_over(world, **fields)
    move(dossier, "accept", world.agency_receiver)
    move(dossier, "result_ready", world.agency_officer)
    return move(dossier, "collect_result", world.postman_a)


def test_delivery_with_proof_and_a_drawn_signature(world):
    dossier = collected(world)
    postman, access = world.postman_a, Access.for_user(world.postman_a)
    returns.out_for_delivery(dossier.pk, user=postman, access=access)
    with pytest.raises(TransitionError, match="do not match|không khớp"):
        returns.deliver(
            dossier.pk,
            Proof("Nguyễn Văn An", "9999", "self", signature=scribble()),
            user=postman,
            access=access,
        )
    with pytest.raises(TransitionError):
        returns.deliver(
            dossier.pk,
            Proof("Trần Thị B", "5678", "family", signature=scribble()),
            user=postman,
            access=access,
        )
    proof = Proof(
        "Nguyễn Văn An",
        "1234",
        "self",
        signature=signature_png(data_url(scribble())),
        place=Place.parse("16.80", "107.07", "12"),
    )
    dossier, row = returns.deliver(dossier.pk, proof, user=postman, access=access)
    assert dossier.status == State.DELIVERED
    assert row.signature_captured and row.signature.read().startswith(b"\x89PNG")
    assert (row.latitude, row.longitude, row.location_accuracy_m) == (16.8, 107.07, 12)
    assert Message.objects.filter(template="dossier_deliver").exists()


def test_an_empty_pad_is_no_signature_and_a_delivery_needs_one_or_a_reason(world):
    dossier = collected(world)
    postman, access = world.postman_a, Access.for_user(world.postman_a)
    returns.out_for_delivery(dossier.pk, user=postman, access=access)
    assert signature_png(data_url(blank())) is None
    family = {"relation_note": "Vợ, xem CCCD của chị"}
    for missing in (
        Proof("Lê Thị Hoa", "5678", "family", **family),
        Proof("Lê Thị Hoa", "5678", "family", signature=None, **family),
        Proof("Lê Thị Hoa", "5678", "family", unsigned=Unsigned("nope", "x" * 10), **family),
        Proof("Lê Thị Hoa", "5678", "family", unsigned=Unsigned("paper", " "), **family),
    ):
        with pytest.raises(TransitionError, match="sign|what happened"):
            returns.deliver(dossier.pk, missing, user=postman, access=access)
    dossier.refresh_from_db()
    assert dossier.status == State.OUT_FOR_DELIVERY
    assert not ProofOfDelivery.objects.filter(dossier=dossier).exists()
    _, row = returns.deliver(
        dossier.pk,
        Proof(
            "Lê Thị Hoa",
            "5678",
            "family",
            unsigned=Unsigned("paper", "Màn hình điện thoại vỡ, chị ký trên phiếu giấy"),
            **family,
        ),
        user=postman,
        access=access,
    )
    assert not row.signature_captured and not row.signature
    missing = MissingSignature.objects.get()
    assert (missing.step, missing.reason, missing.dossier) == ("delivery", "paper", row.dossier)
    assert missing.service_point == world.point_a and missing.reviewed_at is None
    assert AuditEvent.objects.filter(action="signature.missing").exists()
    event = row.dossier.events.get(action="deliver")
    assert event.details["signature"] is False and event.details["unsigned_reason"] == "paper"


def test_a_supervisor_of_the_office_reviews_a_delivery_without_signature(world):
    dossier = collected(world)
    postman, access = world.postman_a, Access.for_user(world.postman_a)
    returns.out_for_delivery(dossier.pk, user=postman, access=access)
    returns.deliver(
        dossier.pk,
        Proof("Nguyễn Văn An", "1234", "self", unsigned=Unsigned("cannot_sign", "Bị gãy tay")),
        user=postman,
        access=access,
    )
    missing = MissingSignature.objects.get()
    assert list(missing_signatures_for(Access.for_user(world.supervisor_a))) == [missing]
    assert not missing_signatures_for(Access.for_user(world.postman_a)).exists()
    with pytest.raises(PermissionDenied):
        review_missing_signature(missing.pk, user=postman, access=access)
    supervisor = world.supervisor_a
    row = review_missing_signature(
        missing.pk,
        note="Đã gọi điện cho ông An: xác nhận đã nhận",
        user=supervisor,
        access=Access.for_user(supervisor),
    )
    assert row.reviewed_by == supervisor and row.review_note.startswith("Đã gọi")
    assert AuditEvent.objects.filter(action="signature.missing_reviewed").exists()


def test_after_n_failed_attempts_the_result_is_held_then_delivered_at_the_counter(world, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 2
    dossier = collected(world)
    postman, access = world.postman_a, Access.for_user(world.postman_a)
    returns.out_for_delivery(dossier.pk, user=postman, access=access)
    dossier, first = returns.failed_attempt(
        dossier.pk, reason_code="ABSENT", action_code="RETRY", user=postman, access=access
    )
    assert dossier.status == State.RESULT_COLLECTED and first.action_code == "RETRY"
    returns.out_for_delivery(dossier.pk, user=postman, access=access)
    dossier, second = returns.failed_attempt(
        dossier.pk, reason_code="ABSENT", action_code="RETRY", user=postman, access=access
    )
    assert second.action_code == "HOLD" and dossier.status == State.HELD_AT_OFFICE
    event = dossier.events.get(action="delivery_failed", details__attempt=2)
    assert (event.reason_code, event.action_code) == ("ABSENT", "HOLD")
    assert Message.objects.filter(template="dossier_hold_at_office").exists()
    clerk = world.clerk_a
    dossier, row = returns.deliver(
        dossier.pk,
        Proof("Nguyễn Văn An", "1234", "self", signature=scribble()),
        user=clerk,
        access=Access.for_user(clerk),
        at_counter=True,
    )
    assert dossier.status == State.DELIVERED and row.at_counter
    assert DeliveryAttempt.objects.filter(dossier=dossier).count() == 3
    assert ProofOfDelivery.objects.get(dossier=dossier).delivered_by == clerk


def test_bad_codes_and_bad_signatures_are_refused(world):
    dossier = collected(world)
    access = Access.for_user(world.postman_a)
    returns.out_for_delivery(dossier.pk, user=world.postman_a, access=access)
    with pytest.raises(TransitionError):
        returns.failed_attempt(
            dossier.pk, reason_code="NOPE", action_code="RETRY", user=world.postman_a, access=access
        )
    with pytest.raises(ProofFileError):
        signature_png("data:image/png;base64,AAAA")
    with pytest.raises(ProofFileError):
        signature_png("data:text/html;base64,PHNjcmlwdD4=")
    assert signature_png("") is None
    assert Place.parse("abc", "107") == Place()
    assert Place.parse("95", "107") == Place()


def test_a_family_member_gives_their_own_ids_digits_and_the_proof_says_whose(world):
    dossier = collected(world)  # the applicant's ID ends with 1234
    postman, access = world.postman_a, Access.for_user(world.postman_a)
    returns.out_for_delivery(dossier.pk, user=postman, access=access)
    family = {"relation_note": "Chồng, xem CCCD của anh", "signature": scribble()}
    with pytest.raises(returns.SameDigits, match="applicant's ID"):
        returns.deliver(
            dossier.pk,
            Proof("Trần Văn Bình", "1234", "family", **family),
            user=postman,
            access=access,
        )
    _, row = returns.deliver(
        dossier.pk, Proof("Trần Văn Bình", "5678", "family", **family), user=postman, access=access
    )
    assert (row.id_last4, row.id_holder) == ("5678", ProofOfDelivery.IdHolder.RECIPIENT)
    assert row.dossier.events.get(action="deliver").details["id_holder"] == "recipient"


def test_the_applicant_gives_the_digits_of_the_card_the_dossier_names(world):
    dossier = collected(world)
    postman, access = world.postman_a, Access.for_user(world.postman_a)
    returns.out_for_delivery(dossier.pk, user=postman, access=access)
    _, row = returns.deliver(
        dossier.pk,
        Proof("Nguyễn Văn An", "1234", "self", signature=scribble()),
        user=postman,
        access=access,
    )
    assert row.id_holder == ProofOfDelivery.IdHolder.APPLICANT


def test_a_recipient_whose_own_card_ends_like_the_applicants_is_confirmed_by_the_postman(world):
    dossier = collected(world)
    postman, access = world.postman_a, Access.for_user(world.postman_a)
    returns.out_for_delivery(dossier.pk, user=postman, access=access)
    _, row = returns.deliver(
        dossier.pk,
        Proof(
            "Trần Văn Bình",
            "1234",
            "authorised",
            relation_note="Giấy ủy quyền số 5/UQ",
            signature=scribble(),
            same_digits_confirmed=True,
        ),
        user=postman,
        access=access,
    )
    assert (row.id_last4, row.id_holder) == ("1234", ProofOfDelivery.IdHolder.RECIPIENT)
