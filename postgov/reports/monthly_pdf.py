"""The monthly report to the province as a PDF, in Vietnamese whatever the page's language
(it is filed with the province's records): the month's figures per post office and per
agency, and the dossiers received per day as a bar chart drawn with the PDF's own lines;
then the service figures (`service_figures`, built in Vietnamese by the caller): the
period's totals of each section and the service index per post office and per agency."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, timedelta

from django.utils import timezone

from postgov.catalog.models import Procedure
from postgov.dossiers.agency.official_forms import OfficialForm
from postgov.identity.access import Access
from postgov.lib import charts
from postgov.lib.pdf import FAMILY, VIETNAMESE_FONTS, vnd
from postgov.places.models import Province, ServicePoint
from postgov.reports import months
from postgov.reports.scope import nationwide
from postgov.reports.service_figures import ServiceReport, Table
from postgov.reports.volumes import Breakdown, VolumeReport

# A kept PDF is served while its period's roll-ups keep their version, at most this long
# (seconds): a place or agency renamed shows within the hour.
KEPT_FOR = 3600
# Changed with the layout, so that no PDF drawn by the code before is served.
LAYOUT = "2"


def cache_key(
    access: Access,
    date_from: date,
    date_to: date,
    *,
    province: Province | None = None,
    point: ServicePoint | None = None,
    procedure: Procedure | None = None,
) -> str | None:
    """Where the PDF of these filters, as this person's scope shows them, is kept; None
    when it may not be kept (a month of the period has no roll-up version yet). People
    who see the same places share it. The day is in it: the PDF says when it was made."""
    version = months.version(date_from, date_to)
    if version is None:
        return None
    if nationwide(access):
        scope = "everywhere"
    else:
        scope = "/".join(
            ",".join(str(n) for n in sorted(ids))
            for ids in (access.point_ids(), access.agency_ids(), access.province_ids())
        )
    parts = [
        LAYOUT,
        scope,
        date_from.isoformat(),
        date_to.isoformat(),
        *(str(chosen.pk) if chosen else "" for chosen in (province, point, procedure)),
        version,
        timezone.localdate().isoformat(),
    ]
    return "reports:monthly-pdf:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


COLUMNS = ["Tiếp nhận", "Bàn giao CQ", "Có kết quả", "Đã phát", "Từ chối", "Lệ phí", "Cước"]
FIGURES = ("sealed", "handed_over", "results_ready", "delivered", "refused")


def _period_text(start: date, end: date) -> str:
    next_month = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    if start.day == 1 and end == next_month - timedelta(days=1):
        return f"Tháng {start:%m/%Y}"
    return f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


def _rows(lines: list[Breakdown]) -> list[list[str]]:
    rows = []
    for line in lines:
        f = line.figures
        rows.append(
            [
                line.name,
                *[str(f[name]) for name in FIGURES],
                vnd(f["procedure_fees"]),
                vnd(f["postage"]),
            ]
        )
    return rows


def _bar_chart(pdf: OfficialForm, report: VolumeReport, title: str) -> None:
    """Dossiers received per day (or month), with the axis values written as text."""
    height, label_h = 45, 5
    if pdf.get_y() + height + 20 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
    values = [b.figures["sealed"] for b in report.buckets]
    top = charts.nice_top(max(values, default=0))
    left = pdf.l_margin + 12
    width = pdf.body_width - 12
    y0 = pdf.get_y() + 2
    base = y0 + height
    pdf.set_draw_color(180, 186, 194)
    pdf.set_font(FAMILY, "", 7)
    for i in range(5):
        y = base - height * i / 4
        pdf.line(left, y, left + width, y)
        pdf.set_xy(pdf.l_margin, y - 2)
        pdf.cell(11, 4, f"{top * i / 4:.0f}", align="R")
    slot = width / max(len(values), 1)
    pdf.set_fill_color(47, 109, 181)
    every = max(1, len(values) // 16 + (1 if len(values) % 16 else 0))
    for i, (bucket, value) in enumerate(zip(report.buckets, values, strict=True)):
        h = height * value / top
        x = left + slot * i + slot * 0.15
        if h:
            pdf.rect(x, base - h, slot * 0.7, h, style="F")
        if i % every == 0:
            pdf.set_xy(left + slot * i - 4, base + 1)
            pdf.cell(slot + 8, label_h - 1, bucket.label[:5], align="C")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(base + label_h + 3)
    pdf.set_font(FAMILY, "", 10)


LINE_H, PAD = 4.4, 0.8


def _table(pdf: OfficialForm, headers: list[str], widths: list[float], rows: list[list[str]]):
    """The bordered table of `OfficialForm.table`, drawn the same way, but a cell whose
    text fits on one line (nearly all: figures, short names) is written with `cell`
    rather than measured and written by `multi_cell`, which breaks every text into lines
    twice: a national report's hundreds of agencies took most of the PDF's time."""
    total = sum(widths)
    widths = [w * pdf.body_width / total for w in widths]
    pdf.set_font(FAMILY, "B", 8.5)
    pdf.set_fill_color(235, 239, 244)
    _table_row(pdf, headers, widths, fill=True, align="C")
    pdf.set_font(FAMILY, "", 8.5)
    for row in rows:
        _table_row(pdf, row, widths)
    pdf.set_font(FAMILY, "", 10)
    pdf.ln(2)


def _table_row(
    pdf: OfficialForm, cells: list[str], widths: list[float], fill: bool = False, align="L"
) -> None:
    # multi_cell keeps its cell margin on both sides of the width it is given.
    room = [width - 2 * PAD - 2 * pdf.c_margin for width in widths]
    one_line = [
        "\n" not in text and pdf.get_string_width(text) <= inside
        for text, inside in zip(cells, room, strict=True)
    ]
    height = (
        max(
            LINE_H if fits else pdf.wrapped_height(text, width - 2 * PAD, LINE_H)
            for text, width, fits in zip(cells, widths, one_line, strict=True)
        )
        + 2 * PAD
    )
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    y = pdf.get_y()
    x = pdf.l_margin
    baseline = 0.5 * LINE_H + 0.3 * pdf.font_size
    for text, width, fits in zip(cells, widths, one_line, strict=True):
        pdf.rect(x, y, width, height, style="DF" if fill else "D")
        if fits and align == "L" and not pdf.outside_the_cut(text):
            # Where `cell` would put the line's baseline, without its layout work (which
            # is also what draws a character from the fallback font).
            pdf.text(x + PAD + pdf.c_margin, y + PAD + baseline, text)
        elif fits:
            pdf.set_xy(x + PAD, y + PAD)
            pdf.cell(width - 2 * PAD, LINE_H, text, align=align)
        else:
            pdf.set_xy(x + PAD, y + PAD)
            pdf.multi_cell(width - 2 * PAD, LINE_H, text, align=align)
        x += width
    pdf.set_xy(pdf.l_margin, y + height)


def _totals(pdf: OfficialForm, table: Table) -> None:
    """A section's totals of the period, one figure a line."""
    if table.total is None:
        return
    rows = [
        [column.label, cell]
        for column, cell in zip(table.columns, table.cells(table.total), strict=True)
    ]
    _table(pdf, ["Chỉ tiêu", "Cả kỳ"], [120, 50], rows)


def _breakdown(pdf: OfficialForm, table: Table) -> None:
    widths = [46] + [144 / len(table.columns)] * len(table.columns)
    rows = [[label, *cells] for label, cells in table.lines()]
    _table(
        pdf,
        [table.first, *[c.label for c in table.columns]],
        widths,
        rows or [["—"] + [""] * len(table.columns)],
    )


def _service_sections(pdf: OfficialForm, service: ServiceReport) -> None:
    number = 4
    for slug in ("identity", "queues", "digitisation", "index"):
        table = service.section(slug)
        pdf.para(f"{number}. {table.title}", bold=True)
        _totals(pdf, table)
        number += 1
    for slug in ("index_points", "index_agencies"):
        table = service.section(slug)
        pdf.para(f"{number}. {table.title}", bold=True)
        _breakdown(pdf, table)
        number += 1


def _names(
    province_name: str,
    by_point: list[Breakdown],
    by_agency: list[Breakdown],
    service: ServiceReport | None,
) -> Iterator[str]:
    """What the report prints besides its own Vietnamese words and figures: the names of
    places, agencies and projects, and the service sections' text (built by the caller)."""
    yield province_name
    yield from (line.name for line in (*by_point, *by_agency))
    for table in service.sections if service is not None else ():
        yield from (table.title, table.first, *(column.label for column in table.columns))
        for label, cells in table.lines():
            yield label
            yield from cells


def render(
    report: VolumeReport,
    by_point: list[Breakdown],
    by_agency: list[Breakdown],
    *,
    province_name: str,
    service: ServiceReport | None = None,
    by_province: bool = False,
) -> bytes:
    title = "BÁO CÁO KẾT QUẢ TIẾP NHẬN, TRẢ KẾT QUẢ HỒ SƠ QUA DỊCH VỤ BƯU CHÍNH CÔNG ÍCH"
    pdf = OfficialForm(title, fonts=VIETNAMESE_FONTS)
    pdf.fall_back_for(_names(province_name, by_point, by_agency, service))
    period = _period_text(report.date_from, report.date_to)
    pdf.title_block(title, f"{period} — {province_name}")
    total = report.total.figures
    pdf.labelled("Số hồ sơ tiếp nhận:", str(total["sealed"]))
    pdf.labelled("Đã bàn giao cho cơ quan:", str(total["handed_over"]))
    pdf.labelled("Có kết quả:", str(total["results_ready"]))
    pdf.labelled("Đã phát, trả kết quả:", str(total["delivered"]))
    pdf.labelled("Bị từ chối:", str(total["refused"]))
    pdf.labelled("Lệ phí đã thu:", vnd(total["procedure_fees"]))
    pdf.labelled("Cước bưu chính:", vnd(total["postage"]))
    rate = report.total.on_time_rate
    pdf.labelled(
        "Tỷ lệ chặng hoàn thành đúng hạn:",
        "—" if rate is None else f"{rate:.1f} %".replace(".", ","),
    )
    pdf.ln(2)
    widths: list[float] = [46, 14, 14, 14, 13, 13, 20, 20]
    place = "Tỉnh" if by_province else "Bưu cục"
    pdf.para("1. Theo tỉnh" if by_province else "1. Theo bưu cục tiếp nhận", bold=True)
    _table(pdf, [place, *COLUMNS], widths, _rows(by_point) or [["—"] + [""] * 7])
    pdf.para("2. Theo cơ quan giải quyết", bold=True)
    _table(pdf, ["Cơ quan", *COLUMNS], widths, _rows(by_agency) or [["—"] + [""] * 7])
    _bar_chart(
        pdf, report, "3. Số hồ sơ tiếp nhận theo " + ("tháng" if report.by_month else "ngày")
    )
    if service is not None:
        _service_sections(pdf, service)
    pdf.para(
        f"Lập ngày {timezone.localdate():%d/%m/%Y} từ số liệu tổng hợp hằng ngày của PostGov.",
        italic=True,
    )
    pdf.signature_boxes("NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ")
    return pdf.render()
