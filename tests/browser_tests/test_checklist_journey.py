"""A citizen prints a procedure's checklist in Chromium: from the procedure's page, the A4
and the A5 links each give a PDF with the documents to bring and a QR code that is the
code of the procedure page's address (the drawn modules compared with the encoder's)."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
import segno
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser_tests.test_intake_journey import shot
from tests.factories import make_intake_catalog

pytestmark = pytest.mark.browser

MM_PER_POINT = 25.4 / 72
DPI = 300


@pytest.fixture
def version(world, working_morning):
    return make_intake_catalog(world)


def _open_pdf(page, link_id: str) -> bytes:
    """Follow the link as the citizen does; Chromium without a window downloads a PDF that
    a desktop browser shows, so either way the file is read from what the click gave."""
    link = page.locator(f"#{link_id}")
    with page.context.expect_page() as opened:
        link.click()
    tab = opened.value
    body = tab.context.request.get(
        tab.url if tab.url.startswith("http") else link.get_attribute("href")
    )
    assert body.ok and body.headers["content-type"] == "application/pdf"
    tab.close()
    return body.body()


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"poppler-utils ({name}) is needed to read the printed checklist"
    return found


def _text(pdf: bytes) -> str:
    done = subprocess.run(  # noqa: S603 - a fixed tool reading our own PDF
        [_tool("pdftotext"), "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode()


def _qr_matches(pdf: bytes, url: str, size_mm: float) -> bool:
    """Render the top right corner and read the module grid the size the encoder gives."""
    png = subprocess.run(  # noqa: S603 - a fixed tool reading our own PDF
        [_tool("pdftoppm"), "-png", "-r", str(DPI), "-singlefile", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout
    image = Image.open(io.BytesIO(png)).convert("L")
    px_per_mm = DPI / 25.4
    page_width_mm = image.width / px_per_mm
    left, top = page_width_mm - 10 - size_mm, 10.0
    expected = [list(row) for row in segno.make(url, error="m", micro=False).matrix_iter(border=2)]
    unit = size_mm / len(expected)
    for r, row in enumerate(expected):
        for c, dark in enumerate(row):
            x = (left + (c + 0.5) * unit) * px_per_mm
            y = (top + (r + 0.5) * unit) * px_per_mm
            if (image.getpixel((int(x), int(y))) < 128) != bool(dark):
                return False
    return True


def test_printing_a_procedures_checklist_on_a4_and_a5(page, version):
    code = version.procedure.code
    page.goto(f"/catalog/{code}/")
    expect(page.locator("#print-checklist")).to_have_text("In danh mục giấy tờ cần mang (A4)")
    expect(page.locator("#print-checklist-a5")).to_have_text(
        "In danh mục giấy tờ trên nửa trang (A5)"
    )
    shot(page, "checklist-procedure-page")
    url = settings.SITE_URL + f"/catalog/{code}/"
    documents = list(version.documents.values_list("name", flat=True))
    for link_id, paper_mm, qr_mm in (
        ("print-checklist", (210, 297), 32),
        ("print-checklist-a5", (148, 210), 28),
    ):
        pdf = _open_pdf(page, link_id)
        first = PdfReader(io.BytesIO(pdf)).pages[0]
        size = (
            round(float(first.mediabox.width) * MM_PER_POINT),
            round(float(first.mediabox.height) * MM_PER_POINT),
        )
        assert size == paper_mm
        text = " ".join(_text(pdf).split())
        assert "Những gì cần mang theo" in text
        for name in documents:
            assert " ".join(name.split()) in text, name
        assert url in text
        assert _qr_matches(pdf, url, qr_mm)
        assert not _qr_matches(pdf, url + "x", qr_mm)
