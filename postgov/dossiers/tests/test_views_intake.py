"""The intake wizard over HTTP: each step, bad input, double submits, access."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from postgov.audit.models import AuditEvent
from postgov.dossiers.models import Dossier, DossierEvent, Scan
from postgov.dossiers.views import intake as intake_views
from postgov.dossiers.workflow import State
from tests.factories import QR_AN, QR_NEW_CARD, make_excluded_procedure

from .intake_helpers import draft, ready, seal

START = reverse("dossiers:intake_start")


def applicant_post(world, version, **overrides):
    data = {
        "action": "next",
        "token": str(uuid.uuid4()),
        "point": str(world.point_a.pk),
        "qr": "",
        "name": "Nguyễn Văn An",
        "id_number": "045090001234",
        "birth_date": "15/03/1990",
        "gender": "male",
        "address": "Thôn Tân Định, Xã Vĩnh Linh",
        "commune": str(world.commune_a.pk),
        "phone": "0912 345 678",
        "email": "",
        "service_option": "both",
        "q": "",
        "q_done": "",
        "procedure": str(version.procedure_id),
    }
    data.update(overrides)
    return data


def checklist_post(dossier, action="next", present=True, **extra):
    data = {"action": action}
    for doc in dossier.documents.all():
        if present:
            data[f"present_{doc.pk}"] = "on"
        data[f"form_{doc.pk}"] = doc.form
        data[f"pages_{doc.pk}"] = "2"
    data.update(extra)
    return data


def fees_post(dossier, **overrides):
    data = {
        "action": "next",
        "agency": str(dossier.agency_id),
        "return_method": "deliver",
        "return_address": "Thôn Tân Định",
        "return_commune": str(dossier.applicant_commune_id),
        "return_point": str(dossier.receiving_point_id),
        "fee_option": str(dossier.fee_option_id),
        "post_collects_fee": "on",
        "weight_g": "100",
        "exemption": "",
        "exemption_note": "",
        "payment_method": "cash",
        "payment_reference": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def as_clerk(client, clerk_a):
    client.force_login(clerk_a)
    return client


def autofocused(html: str) -> str:
    match = re.search(r"<(?:input|select)[^>]*\bautofocus\b[^>]*>", html)
    assert match, "nothing has the focus"
    name = re.search(r'name="([^"]+)"', match.group(0))
    return name.group(1) if name else ""


# -- access ------------------------------------------------------------------------------


def test_it_checks_access(client, world, version, outsider, agency_officer, citizen):
    assert client.get(START).status_code == 302  # to the login page
    for person in (outsider, agency_officer, citizen):
        client.force_login(person)
        assert client.get(START).status_code == 403
        assert client.get(reverse("dossiers:today")).status_code == 403


def test_a_clerk_of_another_point_cannot_see_or_act_on_a_draft(client, world, version, clerk_b):
    dossier = draft(world, version)
    client.force_login(clerk_b)
    for name in ("intake_applicant", "intake_checklist", "intake_fees", "intake_confirm"):
        assert client.get(reverse(f"dossiers:{name}", args=[dossier.pk])).status_code == 404
    assert client.post(reverse("dossiers:intake_confirm", args=[dossier.pk])).status_code == 404
    assert client.get(reverse("dossiers:dossier", args=[dossier.pk])).status_code == 404
    guidance = reverse("dossiers:print", args=[dossier.pk, "guidance"])
    assert client.get(guidance).status_code == 404


def test_the_province_oversees_but_does_not_receive(client, world, version, provincial_admin):
    dossier = draft(world, version)
    client.force_login(provincial_admin)
    assert client.get(reverse("dossiers:dossier", args=[dossier.pk])).status_code == 200
    assert client.get(reverse("dossiers:intake_checklist", args=[dossier.pk])).status_code == 403


# -- step 1 ------------------------------------------------------------------------------


def test_the_cursor_starts_in_the_scan_field(as_clerk, world, version):
    response = as_clerk.get(START)
    assert response.status_code == 200
    assert autofocused(response.content.decode()) == "qr"
    assert "Cấp bản sao trích lục hộ tịch" in response.content.decode()  # frequent list


def test_a_scanned_qr_fills_the_applicant_and_moves_to_the_phone(as_clerk, world, version):
    data = applicant_post(world, version, action="auto", qr=QR_NEW_CARD, name="", id_number="")
    data["phone"] = ""
    response = as_clerk.post(START, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Trần Thị Bích Ngọc"' in html
    assert 'value="045195000321"' in html
    assert 'value="02/02/1995"' in html
    assert autofocused(html) == "phone"
    assert not Dossier.objects.exists()


def test_a_malformed_qr_is_reported_and_nothing_is_lost(as_clerk, world, version):
    data = applicant_post(world, version, action="auto", qr="045|garbage|||", email="an@x.vn")
    response = as_clerk.post(START, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "QR" in html and 'id="qr_error"' in html
    assert 'value="an@x.vn"' in html and 'value="Nguyễn Văn An"' in html
    assert autofocused(html) == "qr"


@pytest.mark.parametrize(
    "junk", ["\x00\x01", "|" * 50, "x" * 3000, "045090001234|||99999999|Nam||", "ạ̶̢" * 30]
)
def test_junk_from_the_scanner_never_breaks_the_page(as_clerk, world, version, junk):
    response = as_clerk.post(START, applicant_post(world, version, action="scan", qr=junk))
    assert response.status_code == 200


def test_bad_fields_are_reported_and_kept(as_clerk, world, version):
    data = applicant_post(world, version, phone="12345", id_number="045190001234")
    response = as_clerk.post(START, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Số điện thoại" in html or "phone" in html
    # the century/gender digit says female, the form says male
    assert "Giới tính" in html or "thế kỷ" in html
    assert 'value="12345"' in html and 'value="Nguyễn Văn An"' in html
    assert autofocused(html) in {"id_number", "phone"}
    assert not Dossier.objects.exists()


def test_search_keeps_what_was_typed(as_clerk, world, version):
    data = applicant_post(world, version, action="auto", q="trich luc", procedure="")
    response = as_clerk.post(START, data)
    html = response.content.decode()
    assert response.status_code == 200 and "Cấp bản sao trích lục hộ tịch" in html
    assert 'value="Nguyễn Văn An"' in html
    assert not Dossier.objects.exists()


def test_procedure_search_partial_ignores_diacritics(as_clerk, world, version):
    response = as_clerk.get(reverse("dossiers:procedure_search"), {"q": "TRICH LUC ho tich"})
    assert "Cấp bản sao trích lục hộ tịch" in response.content.decode()


def test_an_excluded_procedure_is_refused_with_its_reason(as_clerk, world, version):
    excluded = make_excluded_procedure()
    data = applicant_post(world, version, procedure=str(excluded.procedure_id))
    html = as_clerk.post(START, data).content.decode()
    assert "hai bên nam, nữ phải có mặt" in html
    assert not Dossier.objects.exists()


def test_a_representative_needs_an_id_and_a_document(as_clerk, world, version):
    data = applicant_post(world, version, representative_name="Lê Văn Đức")
    html = as_clerk.post(START, data).content.decode()
    assert 'value="Lê Văn Đức"' in html and '<details class="mb-1" open' in html
    assert not Dossier.objects.exists()


def test_a_double_submit_of_step_one_makes_one_draft(as_clerk, world, version):
    data = applicant_post(world, version)
    first = as_clerk.post(START, data)
    second = as_clerk.post(START, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Dossier.objects.count() == 1
    dossier = Dossier.objects.get()
    assert dossier.applicant_phone == "0912345678"
    assert dossier.applicant_birth_date.year == 1990


# -- steps 2 to 4 ---------------------------------------------------------------------------


def test_missing_documents_keep_the_draft_and_offer_the_guidance_sheet(as_clerk, world, version):
    dossier = draft(world, version)
    url = reverse("dossiers:intake_checklist", args=[dossier.pk])
    assert autofocused(as_clerk.get(url).content.decode()).startswith("present_")
    response = as_clerk.post(url, checklist_post(dossier, present=False))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="guidance"' in html  # the guidance button
    response = as_clerk.post(url, checklist_post(dossier, action="guidance", present=False))
    assert response["Location"].endswith("/print/guidance.pdf")
    pdf = as_clerk.get(response["Location"])
    assert pdf["Content-Type"] == "application/pdf"
    assert "Tờ khai đăng ký khai sinh" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def test_each_rows_select_and_pages_box_names_its_document(as_clerk, world, version):
    dossier = draft(world, version)
    html = as_clerk.get(reverse("dossiers:intake_checklist", args=[dossier.pk])).content.decode()
    for document in dossier.documents.all():
        assert f'aria-label="Bản chính hay bản sao: {document.name}"' in html
        assert f'aria-label="Số trang: {document.name}"' in html


def test_pages_must_be_numbers(as_clerk, world, version):
    dossier = draft(world, version)
    url = reverse("dossiers:intake_checklist", args=[dossier.pk])
    first = dossier.documents.first()
    response = as_clerk.post(url, checklist_post(dossier, **{f"pages_{first.pk}": "abc"}))
    assert response.status_code == 200
    assert 'value="abc"' in response.content.decode() or "số" in response.content.decode()


def test_a_wrong_scan_is_refused_and_the_checklist_is_kept(
    as_clerk, world, version, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    dossier = draft(world, version)
    url = reverse("dossiers:intake_checklist", args=[dossier.pk])
    first = dossier.documents.first()
    fake = SimpleUploadedFile("to_khai.pdf", b"GIF89a not really", content_type="application/pdf")
    response = as_clerk.post(url, {**checklist_post(dossier), f"scan_{first.pk}": fake})
    html = response.content.decode()
    assert response.status_code == 200
    assert "to_khai.pdf" in html
    assert not Scan.objects.exists()
    assert dossier.documents.filter(present=True).count() == 3  # the ticks were saved


def test_a_good_scan_is_attached(as_clerk, world, version, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    dossier = draft(world, version)
    url = reverse("dossiers:intake_checklist", args=[dossier.pk])
    pdf = SimpleUploadedFile("scan.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf")
    response = as_clerk.post(url, {**checklist_post(dossier), "scan_other": pdf})
    assert response.status_code == 302
    assert Scan.objects.get().sha256


def test_the_whole_wizard_then_a_double_seal(as_clerk, world, version):
    response = as_clerk.post(START, applicant_post(world, version))
    dossier = Dossier.objects.get()
    assert response["Location"] == reverse("dossiers:intake_checklist", args=[dossier.pk])
    response = as_clerk.post(response["Location"], checklist_post(dossier))
    assert response["Location"] == reverse("dossiers:intake_fees", args=[dossier.pk])
    fees_page = as_clerk.get(response["Location"]).content.decode()
    assert "68.000" in fees_page
    quote = as_clerk.post(
        reverse("dossiers:intake_quote", args=[dossier.pk]),
        fees_post(dossier, post_collects_fee=""),
    )
    assert "52.000" in quote.content.decode()  # two legs, no fee, no remittance
    response = as_clerk.post(response["Location"], fees_post(dossier))
    confirm = reverse("dossiers:intake_confirm", args=[dossier.pk])
    assert response["Location"] == confirm
    page = as_clerk.get(confirm).content.decode()
    assert "disabled" not in page.split("data-primary")[1][:40]
    first = as_clerk.post(confirm, {"seal_number": ""})
    second = as_clerk.post(confirm, {"seal_number": ""})
    assert first["Location"].startswith(reverse("dossiers:dossier", args=[dossier.pk]))
    assert second["Location"] == reverse("dossiers:dossier", args=[dossier.pk])
    dossier.refresh_from_db()
    assert dossier.status == State.SEALED
    assert DossierEvent.objects.filter(dossier=dossier).count() == 1
    done = as_clerk.get(first["Location"]).content.decode()
    assert dossier.code in done and "print/all.pdf" in done


def test_fees_need_a_payment_and_keep_the_choices(as_clerk, world, version):
    dossier = draft(world, version)
    url = reverse("dossiers:intake_fees", args=[dossier.pk])
    response = as_clerk.post(url, fees_post(dossier, payment_method="", return_address="Số 9"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Số 9"' in html
    response = as_clerk.post(url, fees_post(dossier, payment_method="transfer"))
    assert response.status_code == 200  # reference missing
    response = as_clerk.post(
        url, fees_post(dossier, payment_method="transfer", payment_reference="FT1")
    )
    assert response.status_code == 302


def test_confirm_lists_what_blocks_sealing(as_clerk, world, version):
    dossier = draft(world, version)
    page = as_clerk.get(reverse("dossiers:intake_confirm", args=[dossier.pk])).content.decode()
    assert "Tờ khai đăng ký khai sinh" in page and "disabled" in page


# -- after sealing -------------------------------------------------------------------------


def test_printing_is_audited_and_refused_to_another_point(client, world, version, clerk_a, clerk_b):
    sealed, _ = seal(ready(world, version))
    client.force_login(clerk_a)
    for which in ("slip", "receipt", "label", "all"):
        response = client.get(reverse("dossiers:print", args=[sealed.pk, which]))
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="dossier.printed").count() == 4
    assert client.get(reverse("dossiers:print", args=[sealed.pk, "nonsense"])).status_code == 404
    client.force_login(clerk_b)
    assert client.get(reverse("dossiers:print", args=[sealed.pk, "slip"])).status_code == 404


def test_the_day_of_the_clerk_and_the_supervisor(client, world, version, clerk_b, supervisor_a):
    sealed, _ = seal(ready(world, version))
    open_draft = draft(world, version, name="Lê Thị Hoa")
    client.force_login(supervisor_a)
    html = client.get(reverse("dossiers:today")).content.decode()
    assert sealed.code in html and "Lê Thị Hoa" in html
    assert "68.000" in html  # cash by payment method
    html = client.get(reverse("dossiers:today"), {"view": "drafts"}).content.decode()
    assert "Lê Thị Hoa" in html and sealed.code not in html
    html = client.get(reverse("dossiers:today"), {"view": "all", "q": "Hoa"}).content.decode()
    assert "Lê Thị Hoa" in html and sealed.code not in html
    client.force_login(clerk_b)
    html = client.get(reverse("dossiers:today"), {"view": "all"}).content.decode()
    assert sealed.code not in html and "Lê Thị Hoa" not in html
    assert open_draft.pk


def test_dispatch_from_the_day_view(client, world, version, clerk_a, clerk_b):
    sealed, _ = seal(ready(world, version))
    client.force_login(clerk_b)
    client.post(reverse("dossiers:dispatch"), {"dossier": [sealed.pk]})
    sealed.refresh_from_db()
    assert sealed.status == State.SEALED
    client.force_login(clerk_a)
    html = client.get(reverse("dossiers:today"), {"view": "dispatch"}).content.decode()
    assert sealed.code in html
    client.post(reverse("dossiers:dispatch"), {"dossier": [sealed.pk]})
    sealed.refresh_from_db()
    assert sealed.status == State.IN_TRANSIT


def test_cancel_a_draft_with_a_reason(client, world, version, clerk_a, clerk_b):
    dossier = draft(world, version)
    url = reverse("dossiers:cancel", args=[dossier.pk])
    client.force_login(clerk_b)
    assert client.post(url, {"note": "x"}).status_code == 404
    client.force_login(clerk_a)
    client.post(url, {"note": ""})
    dossier.refresh_from_db()
    assert dossier.status == State.DRAFT
    client.post(url, {"note": "Công dân không mang đủ giấy tờ"})
    dossier.refresh_from_db()
    assert dossier.status == State.CANCELLED


def test_a_wrong_qr_is_reported_in_the_page_language_only(as_clerk, world, version):
    data = applicant_post(world, version, action="auto", qr="045|garbage|||")
    english = as_clerk.post(START, data, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    vietnamese = as_clerk.post(START, data, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "This is not an ID-card QR code" in english and "không phải mã QR" not in english
    assert "không phải mã QR" in vietnamese and "This is not an ID-card QR" not in vietnamese


def test_an_old_address_is_shown_with_its_new_equivalent_when_places_can_convert(
    as_clerk, world, version, monkeypatch
):

    class Result:
        old_address = "Thôn Tân Định, Xã Vĩnh Giang, Huyện Vĩnh Linh, Tỉnh Quảng Trị"
        street = "Thôn Tân Định"
        new_address = "Thôn Tân Định, Xã Vĩnh Linh, Tỉnh Quảng Trị"
        commune = world.commune_a
        alternatives = []
        message = ""

    monkeypatch.setattr(intake_views, "address_conversion", lambda text: Result())
    data = applicant_post(world, version, action="scan", qr=QR_AN, commune="")
    html = as_clerk.post(START, data).content.decode()
    assert (
        "Xã Vĩnh Giang, Huyện Vĩnh Linh" in html and "<strong>Thôn Tân Định, Xã Vĩnh Linh" in html
    )
    assert f'<option value="{world.commune_a.pk}" selected' in html
    assert 'value="Thôn Tân Định"' in html  # the street line; the commune is chosen below


STAFF_PAGES = [
    ("get", "intake_start", False),
    ("get", "procedure_search", False),
    ("get", "today", False),
    ("post", "dispatch", False),
    ("get", "dossier", True),
    ("get", "intake_applicant", True),
    ("get", "intake_checklist", True),
    ("get", "intake_fees", True),
    ("post", "intake_quote", True),
    ("get", "intake_confirm", True),
    ("post", "cancel", True),
]


@pytest.mark.parametrize("method,name,with_pk", STAFF_PAGES)
def test_every_staff_page_refuses_outsiders_and_other_points(
    client, world, version, outsider, clerk_b, method, name, with_pk
):
    dossier = draft(world, version)
    url = reverse(f"dossiers:{name}", args=[dossier.pk] if with_pk else [])
    call = getattr(client, method)
    assert call(url).status_code == 302  # anonymous: to the login page
    client.force_login(outsider)
    assert call(url).status_code in (403, 404)
    if with_pk:
        client.force_login(clerk_b)
        assert call(url).status_code == 404
    dossier.refresh_from_db()
    assert dossier.status == State.DRAFT


def test_a_draft_page_says_nothing_is_collected_and_keeps_optional_papers_neutral(
    as_clerk, world, version
):
    from postgov.dossiers.intake import drafts
    from postgov.identity.access import Access

    dossier = draft(world, version)
    lines = [
        drafts.ChecklistLine(d.pk, d.position == 1, d.form or "original", 1)
        for d in dossier.documents.all()
    ]
    drafts.save_checklist(
        dossier.pk, lines, actor=world.clerk_a, access=Access.for_user(world.clerk_a)
    )
    html = as_clerk.get(reverse("dossiers:dossier", args=[dossier.pk])).content.decode()
    paid = html.split("Đã thu</dt>")[1].split("</dd>")[0]
    assert "₫" not in paid and "chưa thu" in paid
    optional = html.split("Giấy ủy quyền")[0].rsplit("<li>", 1)[1]
    assert "✗" not in optional and "text-danger" not in optional
    assert "chưa nộp, không bắt buộc" in html.split("Giấy ủy quyền")[1].split("</li>")[0]
    mandatory = html.split("Giấy chứng minh nhân thân")[0].rsplit("<li>", 1)[1]
    assert "✗" in mandatory


def test_the_fee_box_does_not_promise_an_amount_on_the_first_step(as_clerk, world, version):
    html = as_clerk.get(START).content.decode()
    box = html.split('id="totals"')[1].split("</section>")[0]
    assert "bước tiếp theo" in box and "khi đã chọn thủ tục" not in box
