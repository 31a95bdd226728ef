"""The procedure's A4 checklist: what to bring, the fees, and a QR code to the page."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.factories import make_procedure


@pytest.fixture
def version(db):
    return make_procedure()


def _text(response) -> str:
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width) / 72 * 25.4), round(float(height) / 72 * 25.4)) == (210, 297)
    return reader.pages[0].extract_text()


def test_the_checklist_lists_the_documents_in_the_page_language(client, version):
    code = version.procedure.code
    response = client.get(f"/catalog/{code}/checklist.pdf", HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _text(response)
    assert "Những gì cần mang theo" in text and "Tờ khai đăng ký khai sinh" in text
    assert "Giấy chứng sinh" in text and f"/catalog/{code}/" in text
    english = _text(client.get(f"/catalog/{code}/checklist.pdf", HTTP_ACCEPT_LANGUAGE="en"))
    assert "What to bring" in english and "Những gì cần mang theo" not in english


def test_the_procedure_page_links_the_checklist(client, version):
    page = client.get(f"/catalog/{version.procedure.code}/").content.decode()
    assert f'href="/catalog/{version.procedure.code}/checklist.pdf"' in page


def test_no_checklist_for_an_unknown_procedure(client, db):
    assert client.get("/catalog/9.999999/checklist.pdf").status_code == 404


def test_the_checklist_on_a_half_page(client, version):
    code = version.procedure.code
    response = client.get(f"/catalog/{code}/checklist.pdf?paper=a5", HTTP_ACCEPT_LANGUAGE="vi")
    assert response["Content-Disposition"].endswith(f'-v{version.version}-a5.pdf"')
    first = PdfReader(io.BytesIO(response.content)).pages[0]
    width, height = first.mediabox.width, first.mediabox.height
    assert (round(float(width) / 72 * 25.4), round(float(height) / 72 * 25.4)) == (148, 210)
    assert "Giấy chứng sinh" in "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages
    )
    # An unknown paper size prints on A4 rather than failing.
    _text(client.get(f"/catalog/{code}/checklist.pdf?paper=letter"))
    page = client.get(f"/catalog/{code}/").content.decode()
    assert f'href="/catalog/{code}/checklist.pdf?paper=a5"' in page
