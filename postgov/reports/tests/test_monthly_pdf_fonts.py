"""The monthly PDF is set in the Vietnamese cut of Noto Sans; a name with a character
outside the cut (a Greek or Cyrillic letter, the modifier apostrophe of some ethnic
minorities' names) is drawn from the full font as a fallback, never as an empty box, and
an ordinary report still embeds the cut alone."""

from __future__ import annotations

import io
import logging
import re
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from postgov.lib.pdf import FAMILY, VIETNAMESE_FONTS, Form
from postgov.reports import months
from postgov.reports.models import DailyVolume
from tests.factories import make_procedure

pytestmark = pytest.mark.clock

PDF = reverse("reports:volumes_pdf")
NOVEMBER = {"month": "2026-11"}
# Outside the cut: Greek, Cyrillic, and U+02BC MODIFIER LETTER APOSTROPHE.
FOREIGN = set("ΩμέγαЖёлтыйʼ")


@pytest.fixture
def november(world):
    DailyVolume.objects.create(
        day=date(2026, 11, 10),
        province=world.province,
        point=world.point_a,
        procedure=make_procedure().procedure,
        agency=world.agency_a,
        sealed=7,
    )
    # Made directly, so its month is summed here as `update_day` would.
    months.update_months([date(2026, 11, 10)])


def _fonts(pdf: bytes) -> list[tuple[str, set[str]]]:
    """Each font the PDF embeds: its name and the characters its glyphs stand for."""
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            chars = {
                chr(int(code, 16))
                for code in re.findall(r"<[0-9A-Fa-f]{4}>\s*<([0-9A-Fa-f]{4})>", cmap)
            }
            fonts[ref.idnum] = (str(font["/BaseFont"]), chars)
    return list(fonts.values())


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _missing_glyphs(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "missing the following glyphs" in r.msg]


def test_the_cut_lacks_the_foreign_letters():
    """What the fallback is for: the cut's character map has none of them."""
    cut = Form(fonts=VIETNAMESE_FONTS).fonts[FAMILY.lower()]
    assert not any(ord(char) in cut.cmap for char in FOREIGN)  # type: ignore[union-attr]


def test_a_name_outside_the_cut_is_drawn_from_the_full_font(client, world, november, caplog):
    world.province.name = "Tỉnh Ωμέγα"
    world.province.save(update_fields=["name"])
    world.point_a.name = "Bưu cục Жёлтый Kʼho"
    world.point_a.save(update_fields=["name"])
    client.force_login(world.provincial_admin)
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        response = client.get(PDF, NOVEMBER)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert _missing_glyphs(caplog) == []
    text = " ".join(_text(response.content).split())
    assert "Ωμέγα" in text and "Жёлтый Kʼho" in text
    fonts = _fonts(response.content)
    # The cut draws the report's own words; the full font of the same style, embedded
    # beside it under the same name, draws what the cut lacks.
    cut = [chars for _name, chars in fonts if not chars & FOREIGN]
    full = [(name, chars) for name, chars in fonts if chars & FOREIGN]
    assert any("ệ" in chars for chars in cut)
    assert set().union(*(chars for _name, chars in full)) >= FOREIGN, fonts
    names = [name for name, _chars in fonts]
    assert all(names.count(name) == 2 for name, _chars in full), names


def test_an_ordinary_report_embeds_the_cut_alone(client, world, november, caplog):
    client.force_login(world.provincial_admin)
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        response = client.get(PDF, NOVEMBER)
    assert response.status_code == 200
    assert _missing_glyphs(caplog) == []
    assert world.point_a.name in " ".join(_text(response.content).split())
    names = [name for name, _chars in _fonts(response.content)]
    # one font a style, each the cut (the full fonts are never read for it)
    assert len(names) == len(set(names)) <= 3, names
    assert all(name.startswith("/MPDFAA+NotoSans") for name in names), names
