"""Returning results: proof of delivery, failed attempts with codes, holding after N
failures, delivery at the counter with the same proof."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from postgov.delivery import returns
from postgov.delivery.models import DeliveryAttempt, ProofOfDelivery
from postgov.delivery.returns import Place, Proof
from postgov.delivery.signatures import ProofFileError, signature_png
from postgov.dossiers.actions import TransitionError
from postgov.dossiers.workflow import State
from postgov.identity.access import Access
from postgov.notify.models import Message
from tests.agency_helpers import handed_over, move


def png_data_url() -> str:
    buffer = io.BytesIO()
    Image.new("RGBA", (60, 20), (0, 0, 0, 0)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


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
            dossier.pk, Proof("Nguyễn Văn An", "9999", "self"), user=postman, access=access
        )
    with pytest.raises(TransitionError):
        returns.deliver(
            dossier.pk, Proof("Trần Thị B", "1234", "family"), user=postman, access=access
        )
    proof = Proof(
        "Nguyễn Văn An",
        "1234",
        "self",
        signature=signature_png(png_data_url()),
        place=Place.parse("16.80", "107.07", "12"),
    )
    dossier, row = returns.deliver(dossier.pk, proof, user=postman, access=access)
    assert dossier.status == State.DELIVERED
    assert row.signature_captured and row.signature.read().startswith(b"\x89PNG")
    assert (row.latitude, row.longitude, row.location_accuracy_m) == (16.8, 107.07, 12)
    assert Message.objects.filter(template="dossier_deliver").exists()


def test_without_javascript_the_proof_says_no_signature_was_captured(world):
    dossier = collected(world)
    access = Access.for_user(world.postman_a)
    returns.out_for_delivery(dossier.pk, user=world.postman_a, access=access)
    _, row = returns.deliver(
        dossier.pk,
        Proof("Lê Thị Hoa", "5678", "family", relation_note="Vợ, xem CCCD"),
        user=world.postman_a,
        access=access,
    )
    assert not row.signature_captured and not row.signature


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
        Proof("Nguyễn Văn An", "1234", "self"),
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
