"""Forms 01–05 come out as PDFs with the circular's titles and the dossier's facts, in
correct Vietnamese (text extracted back with pypdf)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from postgov.dossiers.agency.actions import Who, act
from postgov.dossiers.agency.official_forms import FORM_TITLES, render_event_form
from postgov.dossiers.models import DossierDocument
from postgov.identity.access import Access
from tests.agency_helpers import at, handed_over, move

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

# PG_FORMS_DIR=var/forms keeps the PDFs to look at them (pdftoppm -png).
KEEP = os.environ.get("PG_FORMS_DIR")


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    # Lines wrap where the layout wraps them: compare words, not lines.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def keep(name: str, data: bytes) -> None:
    if KEEP:
        Path(KEEP).mkdir(parents=True, exist_ok=True)
        Path(KEEP, name).write_bytes(data)


@pytest.fixture
def dossier(world):
    dossier = handed_over(
        world,
        at("2026-11-30 10:00"),
        applicant_name="Nguyễn Thị Ánh Tuyết",
        applicant_address="Số 12 đường Lê Duẩn, phường Đông Hà, tỉnh Quảng Trị",
    )
    for position, (name, form) in enumerate(
        [("Tờ khai đăng ký khai sinh", "original"), ("Giấy chứng sinh", "copy")], start=1
    ):
        DossierDocument.objects.create(
            dossier=dossier, position=position, name=name, present=True, form=form, pages=1
        )
    return dossier


def officer(world):
    return Who(actor=world.agency_officer, access=Access.for_user(world.agency_officer))


def test_form_01_is_the_receipt_with_the_appointment(world, dossier):
    event = dossier.events.get(action="hand_over")
    name, data = render_event_form(dossier, event)
    keep(name, data)
    text = text_of(data)
    assert name.startswith("mau-01-")
    for expected in [
        FORM_TITLES["01"],
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        dossier.code,
        "Nguyễn Thị Ánh Tuyết",
        "045******234",
        "Tờ khai đăng ký khai sinh",
        "Bản sao",
        "10 giờ 00 phút, ngày 30/11/2026",
        "17 giờ 00 phút, ngày 03/12/2026",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "Hoàng Văn Em",
    ]:
        assert expected in text, expected
    assert "045090001234" not in text


def test_forms_02_to_05_carry_the_decision(world, dossier):
    move(dossier, "accept", world.agency_receiver)
    _, supplement = act(
        dossier.pk,
        "request_supplement",
        officer(world),
        missing=["Bản chính Giấy chứng sinh", "Chữ ký của người đi khai trên tờ khai"],
    )
    move(dossier, "supplement_received", world.agency_receiver)
    _, extension = act(
        dossier.pk,
        "extend",
        officer(world),
        new_due=at("2026-12-18 16:00"),
        note="Cần xác minh thông tin với nơi cư trú trước đây",
        at=at("2026-12-02 09:00"),
    )
    _, stop = act(dossier.pk, "stop", officer(world), reason_code="LEGAL", note="Đang tranh chấp")
    expectations = {
        supplement: ["Bản chính Giấy chứng sinh", "Chữ ký của người đi khai", "NGƯỜI HƯỚNG DẪN"],
        extension: ["xin lỗi ông/bà", "16 giờ 00 phút, ngày 18/12/2026", "Cần xác minh"],
        stop: ["dừng giải quyết", "vướng mắc pháp lý", "Đang tranh chấp"],
    }
    for event, words in expectations.items():
        dossier.refresh_from_db()
        name, data = render_event_form(dossier, event)
        keep(name, data)
        text = text_of(data)
        assert FORM_TITLES[name[4:6]] in text
        for word in words:
            assert word in text, (name, word)


def test_form_03_refusal(world, dossier):
    _, event = act(
        dossier.pk,
        "refuse",
        Who(actor=world.agency_receiver, access=Access.for_user(world.agency_receiver)),
        reason_code="NOT_COMPETENT",
        note="Thuộc thẩm quyền UBND phường Đồng Hới",
    )
    dossier.refresh_from_db()
    name, data = render_event_form(dossier, event)
    keep(name, data)
    text = text_of(data)
    assert FORM_TITLES["03"] in text and "không thuộc thẩm quyền" in text
    assert "UBND phường Đồng Hới" in text


def test_an_event_without_a_form_is_refused(world, dossier):
    event = move(dossier, "accept", world.agency_receiver).events.get(action="accept")
    with pytest.raises(ValueError):
        render_event_form(dossier, event)
