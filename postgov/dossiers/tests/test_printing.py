"""The printed forms: Vietnamese text extracted back from the PDFs, same numbers on reprint."""

from __future__ import annotations

import io
import os

import pytest
from pypdf import PdfReader

from postgov.dossiers.intake import printing

from .intake_helpers import draft, ready, seal

KEEP = os.environ.get("KEEP_PDFS")  # KEEP_PDFS=var/pdfs to look at them


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def keep(name: str, data: bytes) -> None:
    if KEEP:
        os.makedirs(KEEP, exist_ok=True)
        with open(os.path.join(KEEP, name), "wb") as out:
            out.write(data)


@pytest.fixture
def sealed(world, version):
    dossier, _ = seal(
        ready(
            world,
            version,
            name="Trần Thị Bích Ngọc",
            representative_name="Lê Văn Đức",
            representative_id_number="045088001122",
            representative_document="Giấy ủy quyền số 12/UQ ngày 20/11/2026",
        )
    )
    return printing.load(dossier.pk)


def test_the_slip_lists_each_document_and_both_signatures(sealed):
    data = printing.render(sealed, "slip")
    keep("slip.pdf", data)
    text = text_of(data)
    for expected in [
        "PHIẾU GỬI HỒ SƠ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        sealed.code,
        "Trần Thị Bích Ngọc",
        "Lê Văn Đức",
        "Tờ khai đăng ký khai sinh",
        "Giấy chứng minh nhân thân",
        "Bản chính",
        "Bản sao",
        "Cấp bản sao trích lục hộ tịch",
        "Trung tâm Phục vụ hành chính công tỉnh Quảng Trị",
        "NGƯỜI GỬI",
        "NHÂN VIÊN BƯU ĐIỆN",
        "Nguyễn Thị Lan",  # the clerk
        sealed.seal_number,
    ]:
        assert expected in text, expected


def test_the_receipt_adds_up_in_figures_and_words(sealed):
    data = printing.render(sealed, "receipt")
    keep("receipt.pdf", data)
    text = text_of(data)
    assert "BIÊN LAI THU TIỀN" in text
    assert sealed.receipt_number in text
    assert "68.000 ₫" in text and "26.000 ₫" in text and "8.000 ₫" in text
    assert "Sáu mươi tám nghìn đồng" in text
    assert "Tiền mặt" in text
    assert "trong tỉnh" in text


def test_the_label_has_the_item_id_and_the_tracking_address(sealed, settings):
    data = printing.render(sealed, "label")
    keep("label.pdf", data)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2  # outbound and return items
    text = text_of(data)
    outbound = sealed.items.get(leg="outbound").item_id
    assert f"{outbound[:2]} {outbound[2:6]}" in text
    assert "BƯU GỬI HÀNH CHÍNH CÔNG" in text and "Chiều đi" in text and "Chiều về" in text
    assert f"{settings.SITE_URL}/track/" in text


def test_everything_in_one_print_and_a_reprint_is_identical_in_its_numbers(sealed):
    first = text_of(printing.render(sealed, "all"))
    keep("all.pdf", printing.render(sealed, "all"))
    again = text_of(printing.render(printing.load(sealed.pk), "all"))
    assert first == again
    assert "PHIẾU GỬI HỒ SƠ" in first and "BIÊN LAI" in first and "Chiều đi" in first


def test_the_guidance_sheet_lists_what_is_missing(world, version):
    dossier = printing.load(draft(world, version).pk)
    data = printing.render(dossier, "guidance")
    keep("guidance.pdf", data)
    text = text_of(data)
    assert "PHIẾU HƯỚNG DẪN HOÀN THIỆN HỒ SƠ" in text
    assert "Tờ khai đăng ký khai sinh" in text and "Giấy bổ sung" not in text
    assert "Giấy ủy quyền" not in text.split("Giấy tờ cần bổ sung")[1]  # optional


def test_an_id_card_address_prints_once_in_the_new_units_on_slip_and_label(
    world, version, monkeypatch
):
    from postgov.places import addresses

    class OldUnitsRead:
        """What the converter reads in the card's old units (national units not loaded)."""

        street = "Khu phố 3"
        commune = world.commune_a
        alternatives = []

    monkeypatch.setattr(addresses, "convert_old_address", lambda text: OldUnitsRead())
    card_address = "Khu phố 3, Phường 1, Đông Hà, Quảng Trị"
    dossier, _ = seal(ready(world, version, address=card_address, commune=world.commune_a))
    dossier = printing.load(dossier.pk)
    assert (dossier.applicant_address, dossier.return_address) == ("Khu phố 3", "Khu phố 3")
    once = "Khu phố 3, Phường Đông Hà, Tỉnh Quảng Trị"
    slip_pdf, label_pdf = printing.render(dossier, "slip"), printing.render(dossier, "label")
    keep("slip-id-card-address.pdf", slip_pdf)
    keep("label-id-card-address.pdf", label_pdf)
    slip, label = (" ".join(text_of(pdf).split()) for pdf in (slip_pdf, label_pdf))
    for text in (slip, label):
        assert once in text
        assert "Phường 1" not in text and "Đông Hà, Quảng Trị" not in text
        assert "Tỉnh Quảng Trị, Phường Đông Hà" not in text
