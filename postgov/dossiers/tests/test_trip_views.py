"""The postman's pages: access, scanning into a manifest by typing (no JavaScript), the
hand-over steps, deliveries with proof, and the counter's supplement intake."""

from __future__ import annotations

import base64
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from postgov.delivery.models import Manifest, ManifestRefusal, ProofOfDelivery
from postgov.dossiers.agency.actions import Who, act
from postgov.dossiers.workflow import State
from postgov.identity.access import Access
from tests.agency_helpers import handed_over, move, outbound_item, sealed
from tests.signing import data_url, scribble

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

MANIFESTS = reverse("carriage:manifests")
DELIVERIES = reverse("carriage:deliveries")
SUPPLEMENTS = reverse("dossiers:supplements")


def png(size=(40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (255, 255, 255)).save(buffer, "PNG")
    return buffer.getvalue()


def collected(world):
    dossier = handed_over(world)
    move(dossier, "accept", world.agency_receiver)
    move(dossier, "result_ready", world.agency_officer)
    return move(dossier, "collect_result", world.postman_a)


def test_it_checks_access(client, world, outsider, agency_officer, clerk_b):
    dossier = collected(world)
    manifest = Manifest.objects.create(
        code="BK-X",
        province=world.province,
        service_point=world.point_a,
        agency=world.agency_a,
        postman=world.postman_a,
    )
    urls = [
        MANIFESTS,
        DELIVERIES,
        SUPPLEMENTS,
        reverse("carriage:manifest", args=[manifest.pk]),
        reverse("carriage:delivery", args=[dossier.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302
    for person in (outsider, agency_officer):
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == 403, (person, url)
    client.force_login(clerk_b)  # staff of another post office
    assert client.get(urls[3]).status_code == 404
    assert client.get(urls[4]).status_code == 404
    assert (
        client.post(
            reverse("carriage:manifest_scan", args=[manifest.pk]), {"code": "x"}
        ).status_code
        == 404
    )
    item = dossier.items.first()
    assert client.get(reverse("carriage:item_label", args=[item.item_id])).status_code == 404


def test_a_manifest_is_loaded_by_typing_and_bad_scans_are_shown(client, world):
    dossier = sealed(world)
    other = sealed(world, agency=world.agency_b)
    client.force_login(world.postman_a)
    page = client.get(MANIFESTS)
    assert page.status_code == 200
    response = client.post(
        MANIFESTS, {"point": world.point_a.pk, "agency": world.agency_a.pk, "direction": "outbound"}
    )
    manifest = Manifest.objects.get()
    assert response["Location"] == reverse("carriage:manifest", args=[manifest.pk])
    scan = reverse("carriage:manifest_scan", args=[manifest.pk])
    client.post(scan, {"code": outbound_item(dossier).item_id})
    page = client.post(scan, {"code": outbound_item(other).item_id}, follow=True).content.decode()
    assert "gửi cơ quan khác" in page
    assert ManifestRefusal.objects.filter(manifest=manifest).count() == 1
    assert outbound_item(dossier).item_id in page
    client.post(reverse("carriage:manifest_step", args=[manifest.pk, "dispatch"]))
    present = reverse("carriage:manifest_step", args=[manifest.pk, "present"])
    empty_pad = "data:image/png;base64," + base64.b64encode(png()).decode()
    refused = client.post(present, {"signature": empty_pad, "unsigned_note": "quên"})
    assert refused.status_code == 400 and 'value="quên"' in refused.content.decode()
    manifest.refresh_from_db()
    assert manifest.status == Manifest.Status.DISPATCHED
    client.post(present, {"signature": data_url(scribble())})
    manifest.refresh_from_db()
    assert manifest.status == Manifest.Status.PRESENTED and manifest.postman_signature
    record = client.get(reverse("carriage:manifest_record", args=[manifest.pk]))
    assert record.status_code == 200


def test_delivery_with_proof_without_javascript(client, world):
    dossier = collected(world)
    client.force_login(world.postman_a)
    url = reverse("carriage:delivery", args=[dossier.pk])
    assert dossier.code in client.get(DELIVERIES).content.decode()
    client.post(url, {"step": "out"})
    bad = client.post(url, {"step": "deliver", "recipient_name": "Nguyễn Văn An", "id_last4": "12"})
    assert bad.status_code == 400 and "Nguyễn Văn An" in bad.content.decode()
    proof = {
        "step": "deliver",
        "recipient_name": "Nguyễn Văn An",
        "id_last4": "1234",
        "relation": "self",
        "signature": "",
        "latitude": "16.8",
        "longitude": "107.1",
    }
    unsigned = client.post(url, proof)
    # Without a drawn signature nor a reason it is not delivered; what was typed stays.
    assert unsigned.status_code == 400
    assert "ký trên màn hình" in unsigned.content.decode()
    assert 'value="Nguyễn Văn An"' in unsigned.content.decode()
    assert not ProofOfDelivery.objects.filter(dossier=dossier).exists()
    response = client.post(
        url,
        {
            **proof,
            "unsigned_reason": "cannot_sign",
            "unsigned_note": "Cụ bị run tay, đã điểm chỉ trên phiếu giấy",
            "photo": SimpleUploadedFile("door.png", png((80, 60)), content_type="image/png"),
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Không ký trên màn hình" in page and "đã điểm chỉ trên phiếu giấy" in page
    assert "Không lưu được hình chữ ký" not in page
    proof = ProofOfDelivery.objects.get(dossier=dossier)
    assert not proof.signature_captured and proof.photo
    photo = client.get(reverse("carriage:proof_file", args=[dossier.pk, "photo"]))
    assert photo.status_code == 200 and photo["Cache-Control"] == "private, no-store"


def test_failed_attempt_page(client, world):
    dossier = collected(world)
    client.force_login(world.postman_a)
    url = reverse("carriage:delivery", args=[dossier.pk])
    client.post(url, {"step": "out"})
    client.post(url, {"step": "failed", "reason_code": "BADADDR", "action_code": "HOLD"})
    dossier.refresh_from_db()
    assert dossier.status == State.HELD_AT_OFFICE


def test_the_counter_receives_a_supplement(client, world):
    dossier = handed_over(world)
    move(dossier, "accept", world.agency_receiver)
    act(
        dossier.pk,
        "request_supplement",
        Who(actor=world.agency_officer, access=Access.for_user(world.agency_officer)),
        missing=["Giấy chứng sinh bản chính"],
    )
    client.force_login(world.clerk_a)
    assert dossier.code in client.get(SUPPLEMENTS).content.decode()
    url = reverse("dossiers:supplement", args=[dossier.pk])
    assert "Giấy chứng sinh bản chính" in client.get(url).content.decode()
    assert client.post(url, {"pages": "0"}).status_code == 400
    response = client.post(
        url, {"brought": ["Giấy chứng sinh bản chính"], "pages": "1"}, follow=True
    )
    dossier.refresh_from_db()
    assert dossier.status == State.SUPPLEMENT_SEALED
    item = dossier.items.get(leg="supplement")
    assert item.item_id in response.content.decode()
    label = client.get(reverse("carriage:item_label", args=[item.item_id]))
    assert label.status_code == 200 and label.content.startswith(b"%PDF")


def test_only_the_supervisor_of_the_office_sees_and_reviews_steps_without_signature(
    client, world, outsider
):
    from postgov.delivery.models import MissingSignature
    from postgov.delivery.signatures import Unsigned
    from postgov.dossiers.carriage import returns

    dossier = collected(world)
    access = Access.for_user(world.postman_a)
    returns.out_for_delivery(dossier.pk, user=world.postman_a, access=access)
    returns.deliver(
        dossier.pk,
        returns.Proof("Nguyễn Văn An", "1234", "self", unsigned=Unsigned("other", "Trời mưa to")),
        user=world.postman_a,
        access=access,
    )
    missing = MissingSignature.objects.get()
    listing = reverse("carriage:missing_signatures")
    review = reverse("carriage:missing_signature_review", args=[missing.pk])
    for intruder in (outsider, world.postman_a, world.clerk_b):
        client.force_login(intruder)
        assert client.get(listing).status_code == 403
        assert client.post(review).status_code == 403
    client.force_login(world.supervisor_a)
    assert "Trời mưa to" in client.get(listing).content.decode()
    assert client.post(review, {"note": "Đã gọi lại"}).status_code == 302
    missing.refresh_from_db()
    assert missing.reviewed_by == world.supervisor_a and missing.review_note == "Đã gọi lại"


def test_coordinates_print_with_a_point_in_every_language(client, world):
    dossier = collected(world)
    client.force_login(world.postman_a)
    url = reverse("carriage:delivery", args=[dossier.pk])
    client.post(url, {"step": "out"})
    proof = {
        "step": "deliver",
        "recipient_name": "Nguyễn Văn An",
        "id_last4": "1234",
        "relation": "self",
        "signature": data_url(scribble()),
        "latitude": "17.4689",
        "longitude": "106.6223",
    }
    client.post(url, proof)
    assert ProofOfDelivery.objects.filter(dossier=dossier).exists()
    for language in ("vi", "en"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert "17.46890, 106.62230" in page and "17,46890" not in page
