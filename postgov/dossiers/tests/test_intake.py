"""Intake as functions: the draft, the checklist, scans, fees and sealing."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from postgov.audit.models import AuditEvent
from postgov.delivery.models import PostalItem
from postgov.dossiers.intake import common as intake_common
from postgov.dossiers.intake import drafts, sealing
from postgov.dossiers.intake.scans import ScanError
from postgov.dossiers.models import DailySequence, DossierEvent
from postgov.dossiers.workflow import State
from postgov.identity.access import Access
from postgov.lib.s10 import is_valid
from postgov.notify.models import Message
from tests.factories import make_excluded_procedure

from .intake_helpers import applicant, draft, pay, ready, seal, tick_all

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_draft_has_the_checklist_the_proposed_agency_and_a_price(world, version):
    dossier = draft(world, version)
    assert dossier.status == State.DRAFT and dossier.code is None
    assert [d.name for d in dossier.documents.all()] == [
        "Tờ khai đăng ký khai sinh",
        "Giấy chứng minh nhân thân",
        "Giấy ủy quyền",
    ]
    # Đông Hà applicant: the province-wide centre is competent (agency B only for Đồng Hới).
    assert dossier.agency == world.agency_a
    assert dossier.fee_option.amount == 8_000
    # in-province both ways + the fee + the remittance charge
    assert (dossier.postage_out, dossier.postage_back, dossier.remittance_fee) == (
        26_000,
        26_000,
        8_000,
    )
    assert dossier.total_due == 68_000
    assert AuditEvent.objects.filter(action="dossier.draft_created").count() == 1


def test_routing_prefers_the_applicants_commune(world, version):
    dossier = draft(world, version, commune=world.commune_b)
    assert dossier.agency == world.agency_b


def test_the_same_token_twice_gives_one_draft(world, version, clerk_a):
    token = uuid.uuid4()
    kwargs = {
        "token": token,
        "point": world.point_a,
        "version": version,
        "service_option": "both",
        "applicant": applicant(world),
        "actor": clerk_a,
        "access": Access.for_user(clerk_a),
    }
    assert drafts.start_draft(**kwargs).pk == drafts.start_draft(**kwargs).pk


def test_a_procedure_excluded_from_the_post_is_refused_with_its_reason(world):
    version = make_excluded_procedure()
    with pytest.raises(intake_common.IntakeError, match="phải có mặt|must be present|có mặt"):
        draft(world, version)


def test_a_clerk_cannot_open_a_draft_at_another_point(world, version, clerk_b):
    with pytest.raises(PermissionDenied):
        draft(world, version, clerk_b, point=world.point_a)


def test_missing_documents_block_sealing_but_the_draft_is_kept(world, version):
    dossier = pay(draft(world, version))
    with pytest.raises(intake_common.IntakeError) as caught:
        seal(dossier)
    assert any("Tờ khai" in p for p in caught.value.problems)
    dossier.refresh_from_db()
    assert dossier.status == State.DRAFT and dossier.code is None
    assert not DailySequence.objects.exists()


def test_an_original_handed_as_a_copy_is_missing(world, version):
    dossier = draft(world, version)
    lines = [
        drafts.ChecklistLine(d.pk, True, "copy", 1) for d in dossier.documents.order_by("position")
    ]
    drafts.save_checklist(
        dossier.pk, lines, actor=world.clerk_a, access=Access.for_user(world.clerk_a)
    )
    missing = [d.name for d in drafts.missing_documents(dossier)]
    # The optional authorisation is handed as a copy but must be an original if handed.
    assert missing == ["Tờ khai đăng ký khai sinh", "Giấy ủy quyền"]


def test_sealing_does_everything_in_one_go(world, version, clerk_a):
    dossier = ready(world, version, email="an@example.vn")
    sealed, now = seal(dossier, seal_number="")
    assert now
    assert sealed.status == State.SEALED
    assert re.fullmatch(r"000\.00\.44\.H56-\d{6}-0001", sealed.code)
    items = list(PostalItem.objects.filter(dossier=sealed).order_by("leg"))
    assert [i.leg for i in items] == ["outbound", "return"]
    assert all(is_valid(i.item_id) for i in items)
    assert sealed.seal_number.startswith("NP-TEST-A-")
    assert sealed.receipt_number.startswith("BL-TEST-A-")
    assert sealed.paid_at and sealed.sealed_at
    # 3 + 2 + 4 working days of post and agency at the least
    assert (sealed.expected_return_at - sealed.sealed_at).days >= 9
    event = DossierEvent.objects.get(dossier=sealed)
    assert (event.action, event.from_status, event.to_status) == ("seal", "draft", "sealed")
    assert event.details["items"] == [i.item_id for i in items]
    assert AuditEvent.objects.filter(action="dossier.seal", object_id=str(sealed.pk)).exists()
    sms = Message.objects.get(channel="sms", object_id=str(sealed.pk))
    assert sms.recipient == "+84912345678"
    assert sealed.code in sms.body and items[0].item_id in sms.body
    assert sms.body.isascii(), sms.body  # unaccented: 160 characters a segment
    email = Message.objects.get(channel="email", object_id=str(sealed.pk))
    assert "Cấp bản sao trích lục hộ tịch" in email.body
    assert DBTaskResult.objects.filter(queue_name="notify").count() == 2


def test_sealing_twice_changes_nothing(world, version):
    dossier = ready(world, version)
    first, _ = seal(dossier)
    again, sealed_now = seal(dossier)
    assert not sealed_now and again.code == first.code
    assert DossierEvent.objects.filter(dossier=dossier).count() == 1
    assert PostalItem.objects.filter(dossier=dossier).count() == 2


def test_a_clerk_of_another_point_cannot_seal_or_edit(world, version, clerk_b):
    dossier = ready(world, version)
    with pytest.raises(PermissionDenied):
        seal(dossier, clerk_b)
    with pytest.raises(PermissionDenied):
        tick_all(dossier, clerk_b)


def test_a_failure_after_numbering_gives_the_numbers_back(world, version, monkeypatch):
    dossier = ready(world, version)

    def broken(*args, **kwargs):
        raise RuntimeError("SMS template missing")

    monkeypatch.setattr(sealing, "notify_sealed", broken)
    with pytest.raises(RuntimeError):
        seal(dossier)
    dossier.refresh_from_db()
    assert dossier.status == State.DRAFT
    assert not PostalItem.objects.exists()
    assert not DailySequence.objects.exists()
    monkeypatch.undo()
    sealed, _ = seal(dossier)
    assert sealed.code.endswith("-0001")


def test_send_only_carries_one_item_and_charges_one_leg(world, version):
    dossier = ready(world, version, service_option="send")
    assert dossier.return_method == "agency"
    assert (dossier.postage_out, dossier.postage_back) == (26_000, 0)
    sealed, _ = seal(dossier)
    assert list(sealed.items.values_list("leg", flat=True)) == ["outbound"]


def test_exemption_needs_its_proof_and_waives_postal_charges(world, version):
    from postgov.catalog.models import ExemptCategory

    merit = ExemptCategory.objects.get(code="NCC")
    dossier = pay(tick_all(draft(world, version)), exemption=merit)
    assert dossier.total_due == 8_000  # the procedure fee only
    with pytest.raises(intake_common.IntakeError, match="exemption|miễn"):
        seal(dossier)
    dossier = pay(dossier, exemption=merit, exemption_note="Thẻ NCC số 123")
    sealed, _ = seal(dossier)
    assert sealed.postage_out == sealed.postage_back == sealed.remittance_fee == 0


def test_a_transfer_needs_its_reference(world, version):
    dossier = pay(tick_all(draft(world, version)), payment_method="transfer")
    with pytest.raises(intake_common.IntakeError):
        seal(dossier)
    seal(pay(dossier, payment_method="transfer", payment_reference="FT2633012345"))


def test_an_agency_that_is_not_competent_is_refused(world, version):
    from postgov.agencies.models import Agency

    other = Agency.objects.create(
        unit_code="X.1",
        name="Khác",
        level="province",
        desk_kind="one_stop",
        province=world.province,
        address="-",
    )
    dossier = draft(world, version)
    with pytest.raises(intake_common.IntakeError):
        pay(dossier, agency=other)


def test_out_of_province_return_is_priced_as_such(world, version):
    from postgov.places.models import Commune, Province

    hue = Province.objects.create(code="46", name="Thành phố Huế", short_name="Huế")
    ward = Commune.objects.create(
        code="19900", province=hue, name="Phường Thuận Hóa", short_name="Thuận Hóa", kind="phuong"
    )
    dossier = pay(draft(world, version), return_commune=ward, return_address="1 Lê Lợi")
    assert (dossier.postage_out, dossier.postage_back) == (26_000, 31_500)


def test_weight_over_the_heaviest_band_is_a_problem_not_a_crash(world, version):
    dossier = pay(tick_all(draft(world, version)), weight_g=5000)
    with pytest.raises(intake_common.IntakeError):
        seal(dossier)


# -- scans -------------------------------------------------------------------------------


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def attach(dossier, content: bytes, name: str):
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    user = dossier.received_by
    return drafts.attach_scan(dossier.pk, upload, actor=user, access=Access.for_user(user))


def test_a_scan_is_stored_under_its_digest(world, version, media):
    import hashlib

    dossier = draft(world, version)
    scan = attach(dossier, PDF, "Nguyen Van An - to khai.pdf")
    assert scan.sha256 == hashlib.sha256(PDF).hexdigest()
    assert scan.content_type == "application/pdf"
    assert scan.file.name.endswith(f"{scan.sha256}.pdf")
    assert "Nguyen" not in scan.file.name
    png = attach(dossier, PNG, "anh.jpg")  # the name lies; the bytes decide
    assert png.content_type == "image/png"


def test_a_wrong_type_is_refused_whatever_its_name(world, version, media):
    dossier = draft(world, version)
    with pytest.raises(ScanError, match="PDF"):
        attach(dossier, b"MZ\x90\x00 not a pdf", "to_khai.pdf")


@override_settings(SCAN_MAX_BYTES=1000)
def test_an_oversized_scan_is_refused(world, version, media):
    dossier = draft(world, version)
    with pytest.raises(ScanError, match="MB"):
        attach(dossier, PDF + b"0" * 2000, "big.pdf")


def test_no_scan_after_sealing(world, version, media):
    dossier = ready(world, version)
    seal(dossier)
    with pytest.raises(intake_common.IntakeError):
        attach(dossier, PDF, "late.pdf")


def test_cancel_needs_a_reason(world, version, clerk_a):
    from postgov.dossiers.actions import TransitionError

    dossier = draft(world, version)
    with pytest.raises(TransitionError):
        drafts.cancel_draft(dossier.pk, note="", actor=clerk_a, access=Access.for_user(clerk_a))
    cancelled = drafts.cancel_draft(
        dossier.pk, note="Công dân đổi ý", actor=clerk_a, access=Access.for_user(clerk_a)
    )
    assert cancelled.status == State.CANCELLED
    with pytest.raises(Exception):  # noqa: B017
        seal(cancelled)


def test_dispatch_moves_sealed_dossiers_and_refuses_others(world, version, clerk_a, clerk_b):
    sealed, _ = seal(ready(world, version))
    done, errors = sealing.dispatch([sealed.pk], actor=clerk_b, access=Access.for_user(clerk_b))
    assert (done, len(errors)) == (0, 1)
    done, errors = sealing.dispatch([sealed.pk], actor=clerk_a, access=Access.for_user(clerk_a))
    assert (done, errors) == (1, [])
    sealed.refresh_from_db()
    assert sealed.status == State.IN_TRANSIT


def test_saving_a_drafts_pages_writes_only_what_the_page_changes(world, version):
    """The applicant's and the fees' pages name the columns they write: the state, the
    codes and the counter's own fields stay as the database has them."""
    dossier = draft(world, version)
    user = world.clerk_a
    with CaptureQueriesContext(connection) as queries:
        drafts.update_applicant(
            dossier.pk,
            applicant(world, name="Nguyễn Văn Bình"),
            service_option="both",
            actor=user,
            access=Access.for_user(user),
        )
        pay(dossier)
    updates = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "dossiers_dossier"')
    ]
    assert len(updates) == 2
    for sql in updates:
        assert '"status"' not in sql and '"code"' not in sql and '"received_by_id"' not in sql
    dossier.refresh_from_db()
    assert dossier.applicant_name == "Nguyễn Văn Bình"
    assert dossier.status == State.DRAFT
