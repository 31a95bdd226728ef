"""Manifests: loading by scanning labels (bad scans refused and kept), dispatch, the
two-sided hand-over at the agency (the legal submission), supplements, result collection."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from postgov.audit.models import AuditEvent
from postgov.delivery.models import Manifest, ManifestItem, ManifestRefusal, PostalItem
from postgov.dossiers.agency.actions import Who, act
from postgov.dossiers.carriage import manifests
from postgov.dossiers.carriage.handover_record import handover_record_pdf
from postgov.dossiers.carriage.manifests import Check, ManifestError
from postgov.dossiers.intake.supplements import seal_supplement
from postgov.dossiers.workflow import State
from postgov.identity.access import Access
from postgov.lib.s10 import make_item_id
from tests.agency_helpers import handed_over, move, outbound_item, sealed
from tests.signing import scribble

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock


def acc(user):
    return Access.for_user(user)


def open_manifest(world, direction="outbound", agency=None):
    return manifests.new_manifest(
        point=world.point_a,
        agency=agency or world.agency_a,
        user=world.postman_a,
        access=acc(world.postman_a),
        direction=direction,
    )


def load(world, manifest, code):
    return manifests.scan(manifest.pk, code, user=world.postman_a, access=acc(world.postman_a))


def hand_over(world, manifest, checks=None):
    manifests.dispatch(manifest.pk, user=world.postman_a, access=acc(world.postman_a))
    manifests.present(
        manifest.pk, user=world.postman_a, access=acc(world.postman_a), signature=scribble()
    )
    lines = manifest.items.all()
    checks = checks or {line.pk: Check("ok", fee_received=line.fee_expected) for line in lines}
    return manifests.confirm_handover(
        manifest.pk,
        checks,
        user=world.agency_receiver,
        access=acc(world.agency_receiver),
        signature=scribble(),
    )


def test_scans_load_items_and_bad_scans_are_refused_and_reported(world):
    good = sealed(world)
    for_b = sealed(world, agency=world.agency_b)
    at_point_b = sealed(world, point=world.point_b)
    manifest = open_manifest(world)
    line = load(world, manifest, outbound_item(good).item_id.lower().replace("hc", "hc "))
    assert line.dossier == good and line.fee_expected == 50_000
    refusals = [
        ("not-a-code", "not a valid item number"),
        (make_item_id("HC", 99_999_999), "Unknown item"),
        (outbound_item(for_b).item_id, "another agency"),
        (outbound_item(at_point_b).item_id, "another post office"),
        (outbound_item(good).item_id, "already on this manifest"),
    ]
    for code, reason in refusals:
        with pytest.raises(ManifestError, match=reason):
            load(world, manifest, code)
    assert ManifestRefusal.objects.filter(manifest=manifest).count() == len(refusals)
    assert AuditEvent.objects.filter(action="manifest.scan_refused").count() == len(refusals)
    other = open_manifest(world)
    with pytest.raises(ManifestError, match="already on manifest"):
        load(world, other, outbound_item(good).item_id)


def test_only_the_post_office_staff_load_and_only_receivers_confirm(world):
    dossier = sealed(world)
    manifest = open_manifest(world)
    with pytest.raises(ManifestError):
        manifests.scan(
            manifest.pk,
            outbound_item(dossier).item_id,
            user=world.clerk_b,
            access=acc(world.clerk_b),
        )
    load(world, manifest, outbound_item(dossier).item_id)
    manifests.dispatch(manifest.pk, user=world.postman_a, access=acc(world.postman_a))
    manifests.present(
        manifest.pk, user=world.postman_a, access=acc(world.postman_a), signature=scribble()
    )
    line = manifest.items.get()
    for intruder in (world.officer_b, world.postman_a, world.outsider):
        with pytest.raises(ManifestError):
            manifests.confirm_handover(
                manifest.pk,
                {line.pk: Check("ok")},
                user=intruder,
                access=acc(intruder),
                signature=scribble(),
            )


def test_the_hand_over_is_the_legal_submission_with_both_sides_recorded(world):
    one, two = sealed(world), sealed(world, fee=0)
    manifest = open_manifest(world)
    load(world, manifest, outbound_item(one).item_id)
    load(world, manifest, outbound_item(two).item_id)
    lines = {line.dossier_id: line for line in manifest.items.all()}
    manifest = hand_over(
        world,
        manifest,
        {
            lines[one.pk].pk: Check("discrepancy", "Thiếu 1 trang tờ khai", fee_received=50_000),
            lines[two.pk].pk: Check("not_received"),
        },
    )
    one.refresh_from_db()
    two.refresh_from_db()
    assert manifest.status == Manifest.Status.HANDED_OVER
    assert manifest.received_by == world.agency_receiver and manifest.fees_received == 50_000
    assert one.status == State.HANDED_OVER and one.submitted_at == manifest.handed_over_at
    assert one.fees_handed_over == 50_000 and one.due_at is not None
    event = one.events.get(action="hand_over")
    assert event.actor == world.agency_receiver
    assert (
        event.details["postman"] == world.postman_a.pk and event.details["count"] == "discrepancy"
    )
    assert two.status == State.IN_TRANSIT  # taken back by the postman
    again = open_manifest(world)
    load(world, again, outbound_item(two).item_id)
    data = handover_record_pdf(manifest)
    text = " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    for expected in ["BIÊN BẢN GIAO NHẬN HỒ SƠ", "Lê Văn Cường", "Hoàng Văn Em", one.code]:
        assert expected in text, expected
    assert "Thiếu 1 trang tờ khai" in text and "Không nhận" in text


def test_a_supplement_travels_as_a_new_leg_and_restarts_the_clock(world):
    dossier = handed_over(world)
    move(dossier, "accept", world.agency_receiver)
    officer = Who(actor=world.agency_officer, access=acc(world.agency_officer))
    act(dossier.pk, "request_supplement", officer, missing=["Giấy chứng sinh bản chính"])
    dossier, item = seal_supplement(
        dossier.pk,
        brought=["Giấy chứng sinh bản chính"],
        pages=1,
        user=world.clerk_a,
        access=acc(world.clerk_a),
    )
    assert dossier.status == State.SUPPLEMENT_SEALED and item.leg == PostalItem.Leg.SUPPLEMENT
    manifest = open_manifest(world)
    line = load(world, manifest, item.item_id)
    assert line.fee_expected == 0
    # The old outbound label is not waiting for anything any more.
    with pytest.raises(ManifestError, match="not waiting"):
        load(world, manifest, outbound_item(dossier).item_id)
    hand_over(world, manifest)
    dossier.refresh_from_db()
    assert dossier.status == State.PROCESSING and dossier.clock_paused_at is None


def test_results_are_collected_on_a_return_manifest(world):
    dossier = handed_over(world)
    move(dossier, "accept", world.agency_receiver)
    officer = Who(actor=world.agency_officer, access=acc(world.agency_officer))
    act(dossier.pk, "result_ready", officer, documents=[{"name": "Giấy khai sinh"}])
    not_ready = handed_over(world)
    manifest = open_manifest(world, direction="return")
    with pytest.raises(ManifestError, match="not ready"):
        load(world, manifest, not_ready.code)
    line = load(world, manifest, dossier.code)
    assert line.item.leg == PostalItem.Leg.RETURN
    manifests.collect(manifest.pk, user=world.postman_a, access=acc(world.postman_a))
    dossier.refresh_from_db()
    assert dossier.status == State.RESULT_COLLECTED
    assert ManifestItem.objects.filter(dossier=dossier).count() == 1


def test_a_return_item_allocated_at_sealing_is_the_one_collected(world):
    dossier = handed_over(world)
    from postgov.delivery.actions import create_item

    prepaid = create_item(dossier, PostalItem.Leg.RETURN)
    move(dossier, "accept", world.agency_receiver)
    move(dossier, "result_ready", world.agency_officer)
    manifest = open_manifest(world, direction="return")
    line = load(world, manifest, prepaid.item_id)
    assert line.item == prepaid
    assert dossier.items.filter(leg=PostalItem.Leg.RETURN).count() == 1


def test_each_half_of_the_hand_over_is_signed_or_says_why_not(world):
    from postgov.delivery.models import MissingSignature
    from postgov.delivery.signatures import Unsigned

    dossier = sealed(world)
    manifest = open_manifest(world)
    load(world, manifest, outbound_item(dossier).item_id)
    postman, receiver = world.postman_a, world.agency_receiver
    manifests.dispatch(manifest.pk, user=postman, access=acc(postman))
    with pytest.raises(ManifestError, match="Sign on the screen"):
        manifests.present(manifest.pk, user=postman, access=acc(postman))
    assert Manifest.objects.get(pk=manifest.pk).status == Manifest.Status.DISPATCHED
    manifests.present(
        manifest.pk,
        user=postman,
        access=acc(postman),
        unsigned=Unsigned("paper", "Điện thoại hết pin, đã ký bản giấy"),
    )
    line = manifest.items.get()
    with pytest.raises(ManifestError, match="Sign on the screen"):
        manifests.confirm_handover(
            manifest.pk, {line.pk: Check("ok")}, user=receiver, access=acc(receiver)
        )
    manifest = manifests.confirm_handover(
        manifest.pk,
        {line.pk: Check("ok")},
        user=receiver,
        access=acc(receiver),
        signature=scribble(),
    )
    assert manifest.receiver_signature and not manifest.postman_signature
    missing = MissingSignature.objects.get()
    assert (missing.step, missing.manifest, missing.service_point) == (
        "presented",
        manifest,
        world.point_a,
    )
    text = " ".join(
        PdfReader(io.BytesIO(handover_record_pdf(manifest))).pages[0].extract_text().split()
    )
    assert "không ký trên thiết bị: ký trên bản giấy" in text and "Điện thoại hết pin" in text
    assert "Đã ký trên thiết bị lúc" in text
