"""The printed forms of a counter intake, A5, in Vietnamese (docs/domain.md §2):

- the dispatch slip (phiếu gửi hồ sơ): sender, agency, procedure, each document with
  original/copy and pages, the seal, both signatures;
- the fee receipt (biên lai): each charge, the total in figures and in words, payment;
- the parcel label (nhãn bưu gửi) of each postal item: Code 128 of the S10 ID and a QR
  code of the tracking page with the dossier's tracking token;
- the guidance sheet (phiếu hướng dẫn) of a draft: what is missing and how to finish.

Forms are drawn from stored values only, so a reprint shows exactly the same numbers.
The texts of the forms are Vietnamese whatever the clerk's screen language: they are
signed by the citizen and read by the agency.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from fpdf.fonts import FontFace
from fpdf.table import Table

from postgov.agencies.models import Agency
from postgov.delivery.models import PostalItem
from postgov.dossiers.intake import drafts, pricing
from postgov.dossiers.intake.fees import uses_outbound, uses_return
from postgov.dossiers.models import Dossier, DossierDocument, PaymentMethod, ReturnMethod
from postgov.lib import tracking_links, vpostcode
from postgov.lib.pdf import FAMILY, Form, vnd
from postgov.lib.vnwords import vnd_in_words
from postgov.places.addresses import one_line
from postgov.places.models import ServicePoint
from postgov.places.postal_codes import postal_code_of_commune, vpostcode_of_point

# Keyed by the values stored on a dossier (choices members are those strings).
SERVICE_TEXT: dict[str, str] = {
    "send": "Gửi hồ sơ qua bưu chính; nhận kết quả tại cơ quan",
    "receive": "Nhận kết quả qua bưu chính",
    "both": "Gửi hồ sơ và nhận kết quả qua bưu chính",
}
RETURN_TEXT: dict[str, str] = {
    ReturnMethod.DELIVER: "Phát tận địa chỉ",
    ReturnMethod.HOLD: "Nhận tại bưu cục",
    ReturnMethod.AT_AGENCY: "Công dân nhận tại cơ quan",
}
FORM_TEXT: dict[str, str] = {
    DossierDocument.Form.ORIGINAL: "Bản chính",
    DossierDocument.Form.COPY: "Bản sao",
}
PAYMENT_TEXT: dict[str, str] = {
    PaymentMethod.CASH: "Tiền mặt",
    PaymentMethod.TRANSFER: "Chuyển khoản",
}
ZONE_TEXT = {"in": "trong tỉnh", "out": "ngoài tỉnh"}
WANTED_TEXT = {"original": "Bản chính", "copy": "Bản sao", "either": "Bản chính hoặc bản sao"}

LEG_TEXT: dict[str, str] = {
    PostalItem.Leg.OUTBOUND: "Chiều đi: hồ sơ gửi cơ quan",
    PostalItem.Leg.SUPPLEMENT: "Chiều đi: hồ sơ bổ sung gửi cơ quan",
    PostalItem.Leg.RETURN: "Chiều về: kết quả trả công dân",
}

FORMS = ("slip", "receipt", "label", "all")


@dataclass(frozen=True)
class Party:
    """Who sends or receives a postal item, as printed on its label."""

    name: str
    address: str
    postal_code: str = ""
    vpostcode: str = ""

    def lines(self) -> list[str]:
        codes = []
        if self.postal_code:
            codes.append(f"Mã bưu chính: {self.postal_code}")
        if self.vpostcode:
            codes.append(f"Vpostcode: {self.vpostcode}")
        return [self.address or "—", *([" · ".join(codes)] if codes else [])]


def point_party(point: ServicePoint) -> Party:
    vpostcode_text = vpostcode_of_point(point)
    return Party(
        name=point.name,
        address=one_line(point.address, point.commune),
        postal_code=point.postal_code,
        vpostcode=vpostcode.parse(vpostcode_text).pretty if vpostcode_text else "",
    )


def agency_party(agency: Agency) -> Party:
    return Party(
        name=agency.name,
        address=one_line(agency.address, agency.commune, agency.province),
        postal_code=agency.postal_code,
    )


def citizen_party(dossier: Dossier) -> Party:
    """Where the result is delivered: the return address given at the counter (or the
    applicant's own), with its commune's postal code when the current set has one."""
    code = ""
    if dossier.return_address:
        street, commune = dossier.return_address, dossier.return_commune
        code = dossier.return_vpostcode
    else:
        street = dossier.applicant_address
        commune = dossier.applicant_commune or dossier.return_commune
    return Party(
        name=f"{dossier.applicant_name} — {dossier.applicant_phone}",
        address=one_line(street, commune),
        postal_code=postal_code_of_commune(commune) if commune else "",
        vpostcode=vpostcode.parse(code).pretty if code else "",
    )


def parties(dossier: Dossier, item: PostalItem) -> tuple[Party, Party]:
    """(sender, recipient) of a postal item."""
    if dossier.agency is None:
        raise ValueError(f"dossier {dossier.pk} has postal items but no agency")
    if item.leg != PostalItem.Leg.RETURN:
        return point_party(dossier.receiving_point), agency_party(dossier.agency)
    sender = agency_party(dossier.agency)
    if dossier.return_method == ReturnMethod.HOLD:
        point = dossier.return_point or dossier.receiving_point
        held = point_party(point)
        recipient = Party(
            name=f"{dossier.applicant_name} — {dossier.applicant_phone}",
            address=f"Nhận tại {point.name}: {held.address}",
            postal_code=held.postal_code,
            vpostcode=held.vpostcode,
        )
        return sender, recipient
    return sender, citizen_party(dossier)


def load(pk: int) -> Dossier:
    return Dossier.objects.select_related(
        "procedure_version__procedure",
        "receiving_point__commune__province",
        "agency",
        "fee_option",
        "exemption",
        "agency__commune__province",
        "return_commune__province",
        "return_point__commune__province",
        "applicant_commune__province",
        "received_by",
    ).get(pk=pk)


def _local(value) -> str:
    return timezone.localtime(value).strftime("%H:%M ngày %d/%m/%Y") if value else ""


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


class Printer:
    """Draws several forms into one PDF, one form per page (or more when long)."""

    def __init__(self, title: str):
        self.form = Form(title=title)
        self.fresh = True  # Form() starts with an empty page

    def page(self) -> Form:
        if not self.fresh:
            self.form.add_page()
        self.fresh = False
        return self.form

    def render(self) -> bytes:
        return self.form.render()

    # -- pieces --------------------------------------------------------------------------
    def header(self, dossier: Dossier) -> None:
        """The post office on the left, the national motto on the right, as on every
        administrative form."""
        f = self.form
        width = (f.w - f.l_margin - f.r_margin) / 2
        point = dossier.receiving_point
        top = f.get_y()
        rows = (
            (
                f"BƯU ĐIỆN {point.commune.province.name.upper()}",
                "B",
                "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            ),
            (point.name, "", "Độc lập – Tự do – Hạnh phúc"),
        )
        for index, (left, style, right) in enumerate(rows):
            y = top + index * 3.8
            f.set_xy(f.l_margin, y)
            f.set_font(FAMILY, style, 7.5)
            f.cell(width, 3.8, left, align="C")
            f.set_font(FAMILY, "B", 7.5)
            f.cell(width, 3.8, right, align="C")
        bottom = top + 2 * 3.8 + 0.6
        f.set_line_width(0.2)
        f.line(f.l_margin + width / 2 - 10, bottom, f.l_margin + width / 2 + 10, bottom)
        f.line(f.l_margin + width * 1.5 - 17, bottom, f.l_margin + width * 1.5 + 17, bottom)
        if dossier.practice:
            # A practice form must never pass for a real one (decision 0019).
            f.set_xy(f.l_margin, bottom + 0.6)
            f.set_font(FAMILY, "B", 7.5)
            f.cell(0, 3, "BẢN TẬP HUẤN — KHÔNG CÓ GIÁ TRỊ", align="C")
            bottom += 1
        f.set_xy(f.l_margin, bottom + 3)
        f.set_font(FAMILY, "", 9)

    def field(self, label: str, value: str, label_width: float = 32, width: float = 0) -> None:
        """A "label: value" line, the value left-aligned and wrapping under itself within
        `width` (0: to the right margin)."""
        f = self.form
        x = f.get_x()
        f.set_font(FAMILY, "", 9)
        f.cell(label_width, 4.8, label)
        f.set_font(FAMILY, "B", 9)
        value_width = (width - label_width) if width else 0
        f.multi_cell(value_width, 4.8, value or "—", align="L", new_x="LMARGIN", new_y="NEXT")
        f.set_x(x)
        f.set_font(FAMILY, "", 9)

    def section(self, text: str) -> None:
        f = self.form
        f.ln(1)
        f.set_font(FAMILY, "B", 9)
        f.cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        f.set_font(FAMILY, "", 9)

    def note(self, text: str, size: float = 7.5) -> None:
        f = self.form
        f.set_font(FAMILY, "", size)
        f.multi_cell(0, size * 0.45, text, new_x="LMARGIN", new_y="NEXT")
        f.set_font(FAMILY, "", 9)

    @contextmanager
    def numbered_table(
        self,
        headings: Sequence[str],
        col_widths: Sequence[float],
        text_align: Sequence[str],
        line_height: float,
    ) -> Iterator[Table]:
        """A ruled table with its heading row drawn; the caller adds the rows."""
        with self.form.table(
            col_widths=tuple(col_widths),
            text_align=tuple(text_align),
            line_height=line_height,
            padding=0.8,
        ) as table:
            heading = table.row()
            for text in headings:
                heading.cell(text)
            yield table

    def fee_table(self, lines: Sequence[tuple[str, int]], total: int) -> None:
        """The numbered amounts to pay, their total in bold, and the total in words."""
        f = self.form
        f.set_font(FAMILY, "", 8.5)
        with self.numbered_table(
            ("TT", "Nội dung", "Số tiền"), (8, 90, 30), ("CENTER", "LEFT", "RIGHT"), 4.6
        ) as table:
            for index, (text, amount) in enumerate(lines, start=1):
                row = table.row()
                row.cell(str(index))
                row.cell(text)
                row.cell(vnd(amount))
            bold = FontFace(emphasis="BOLD")
            row = table.row()
            row.cell("")
            row.cell("TỔNG CỘNG", style=bold)
            row.cell(vnd(total), style=bold)
        f.ln(1)
        f.set_font(FAMILY, "I", 8.5)
        f.multi_cell(0, 4.5, f"Bằng chữ: {vnd_in_words(total)}.", new_x="LMARGIN", new_y="NEXT")
        f.set_font(FAMILY, "", 9)

    # -- the forms -----------------------------------------------------------------------
    def slip(self, dossier: Dossier, items: list[PostalItem]) -> None:
        f = self.page()
        self.header(dossier)
        f.heading("PHIẾU GỬI HỒ SƠ", size=13)
        f.set_font(FAMILY, "I", 8)
        f.cell(0, 4, "(qua dịch vụ bưu chính công ích)", align="C", new_x="LMARGIN", new_y="NEXT")
        f.ln(2)
        top = f.get_y()
        outbound = next((i for i in items if i.leg == PostalItem.Leg.OUTBOUND), None)
        shown = outbound or (items[0] if items else None)
        barcode_width = 50
        if shown:
            f.code128(shown.item_id, f.w - f.r_margin - barcode_width, top, barcode_width, 9)
            f.set_xy(f.w - f.r_margin - barcode_width, top + 9.5)
            f.set_font(FAMILY, "", 7.5)
            f.cell(barcode_width, 3.5, shown.item_id, align="C")
            f.set_xy(f.l_margin, top)
        left = f.w - f.l_margin - f.r_margin - barcode_width - 3
        self.field("Mã hồ sơ:", dossier.code or "(bản nháp)", 26, left)
        self.field("Số hiệu bưu gửi:", shown.item_id if shown else "—", 26, left)
        self.field("Số niêm phong:", dossier.seal_number or "—", 26, left)
        f.set_y(max(f.get_y(), top + 14))

        self.section("1. Người gửi")
        self.field("Họ và tên:", dossier.applicant_name, label_width=32)
        self.field("Số định danh:", dossier.applicant_id_number, label_width=32)
        if dossier.applicant_birth_date:
            self.field("Ngày sinh:", _date(dossier.applicant_birth_date), label_width=32)
        self.field("Điện thoại:", dossier.applicant_phone, label_width=32)
        self.field("Địa chỉ:", self._address(dossier), label_width=32)
        if dossier.representative_name:
            self.field(
                "Người đại diện:",
                f"{dossier.representative_name} — số định danh "
                f"{dossier.representative_id_number or '—'}",
                label_width=32,
            )
            self.field("Giấy ủy quyền:", dossier.representative_document or "—", label_width=32)

        self.section("2. Nơi nhận hồ sơ và thủ tục")
        self.field("Cơ quan:", dossier.agency.name if dossier.agency else "—", label_width=32)
        if dossier.agency and dossier.agency.address:
            self.field("Địa chỉ cơ quan:", agency_party(dossier.agency).address, label_width=32)
        version = dossier.procedure_version
        self.field(
            "Thủ tục:", f"{version.procedure.name} (mã {version.procedure.code})", label_width=32
        )
        self.field("Dịch vụ:", SERVICE_TEXT.get(dossier.service_option, ""), label_width=32)
        self.field("Nhận kết quả:", self._return_text(dossier), label_width=32)

        self.section("3. Thành phần hồ sơ")
        documents = list(dossier.documents.all())
        handed = [d for d in documents if d.present]
        f.set_font(FAMILY, "", 8)
        with self.numbered_table(
            ("TT", "Tên giấy tờ", "Bản chính/sao", "Số trang"),
            (8, 78, 24, 18),
            ("CENTER", "LEFT", "CENTER", "CENTER"),
            4.2,
        ) as table:
            for index, doc in enumerate(handed, start=1):
                row = table.row()
                row.cell(str(index))
                row.cell(doc.name + (f" ({doc.note})" if doc.note else ""))
                row.cell(FORM_TEXT.get(doc.form, "—"))
                row.cell(str(doc.pages))
        f.set_font(FAMILY, "", 8.5)
        f.ln(1)
        f.cell(
            0,
            4.5,
            f"Tổng cộng: {len(handed)} giấy tờ, {sum(d.pages for d in handed)} trang.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        place = dossier.receiving_point.name
        when = _local(dossier.sealed_at) or _local(timezone.now())
        self.note(
            f"Hồ sơ đã được kiểm đếm theo danh mục của cơ quan, đóng gói và niêm phong trước "
            f"mặt người gửi lúc {when} tại {place}. Thời hạn giải quyết tính từ khi cơ quan "
            "nhận bàn giao hồ sơ từ bưu điện."
        )
        f.ln(1)
        if f.get_y() > f.h - f.b_margin - 28:
            f.add_page()
        f.signature_boxes("NGƯỜI GỬI", "NHÂN VIÊN BƯU ĐIỆN", height=14)
        width = (f.w - f.l_margin - f.r_margin) / 2
        f.set_font(FAMILY, "B", 8.5)
        f.cell(width, 4, dossier.applicant_name, align="C")
        f.cell(width, 4, dossier.received_by.get_full_name(), align="C")
        f.set_font(FAMILY, "", 9)

    def receipt(self, dossier: Dossier, items: list[PostalItem]) -> None:
        f = self.page()
        self.header(dossier)
        f.heading("BIÊN LAI THU TIỀN", size=13)
        f.set_font(FAMILY, "I", 8)
        f.cell(
            0,
            4,
            "(cước dịch vụ bưu chính công ích và lệ phí thu hộ)",
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        f.ln(2)
        self.field("Số biên lai:", dossier.receipt_number or "—", label_width=32)
        self.field("Ngày thu:", _local(dossier.paid_at or dossier.sealed_at), label_width=32)
        self.field("Người nộp:", dossier.applicant_name, label_width=32)
        self.field("Điện thoại:", dossier.applicant_phone, label_width=32)
        self.field("Mã hồ sơ:", dossier.code or "—", label_width=32)
        self.field("Số hiệu bưu gửi:", ", ".join(i.item_id for i in items) or "—", label_width=32)
        f.ln(2)
        result = pricing.quote(dossier, timezone.localdate(dossier.sealed_at))
        lines = []
        if dossier.procedure_fee:
            option = dossier.fee_option
            what = option.name if option else "Lệ phí"
            if option and option.option:
                what += f" — {option.option}"
            agency = dossier.agency.short_name or dossier.agency.name if dossier.agency else ""
            lines.append((f"{what} (thu hộ {agency})", dossier.procedure_fee))
        if uses_outbound(dossier.service_option):
            lines.append(
                (f"Cước gửi hồ sơ đến cơ quan ({ZONE_TEXT[result.zone_out]})", dossier.postage_out)
            )
        if uses_return(dossier.service_option, dossier.return_method):
            lines.append(
                (f"Cước chuyển trả kết quả ({ZONE_TEXT[result.zone_back]})", dossier.postage_back)
            )
        if dossier.remittance_fee or dossier.procedure_fee:
            lines.append(("Cước dịch vụ chuyển tiền lệ phí", dossier.remittance_fee))
        self.fee_table(lines, dossier.total_due)
        if dossier.exemption is not None:
            self.field(
                "Miễn cước:",
                f"{dossier.exemption.name} ({dossier.exemption_note})",
                label_width=32,
            )
        if (
            not dossier.post_collects_fee
            and dossier.fee_option is not None
            and dossier.fee_option.amount
        ):
            self.note("Lệ phí do người gửi nộp trực tiếp cho cơ quan, bưu điện không thu hộ.")
        payment = PAYMENT_TEXT.get(dossier.payment_method, "—")
        if dossier.payment_reference:
            payment += f" (mã giao dịch {dossier.payment_reference})"
        self.field("Hình thức:", payment if dossier.total_due else "Không phải nộp", label_width=32)
        f.ln(2)
        f.signature_boxes("NGƯỜI NỘP TIỀN", "NGƯỜI THU TIỀN", height=14)
        width = (f.w - f.l_margin - f.r_margin) / 2
        f.set_font(FAMILY, "B", 8.5)
        f.cell(width, 4, dossier.applicant_name, align="C")
        f.cell(width, 4, dossier.received_by.get_full_name(), align="C")
        f.set_font(FAMILY, "", 9)

    def label(self, dossier: Dossier, item: PostalItem) -> None:
        """The parcel label of one postal item: who it goes to (with the full address,
        postal code and Vpostcode when known) and who sends it, whatever the leg."""
        sender, recipient = parties(dossier, item)
        # The QR carries the dossier's tracking token: the citizen scanning their receipt
        # sees the whole dossier, the item number printed beside it only the postal status.
        qr = tracking_links.link(item.item_id, dossier.pk)
        facts = (
            ("Mã hồ sơ:", dossier.code or "—"),
            ("Niêm phong:", dossier.seal_number or "—"),
            ("Người nộp:", dossier.applicant_name),
            ("Khối lượng:", f"{item.weight_g} g"),
            ("Ngày gửi:", _date(timezone.localtime(dossier.sealed_at))),
            ("Thủ tục:", dossier.procedure_version.procedure.name),
        )
        self.parcel_label(item, sender, recipient, qr, facts)

    def parcel_label(
        self,
        item: PostalItem,
        sender: Party,
        recipient: Party,
        qr: str,
        facts: Sequence[tuple[str, str]],
    ) -> None:
        """The label's page: the leg, the barcode, "ĐẾN" and "TỪ", then `facts` beside
        the QR code `qr` (a tracking link). A postal order's label draws the same page."""
        f = self.page()
        f.set_font(FAMILY, "B", 11)
        f.cell(0, 6, "BƯU GỬI HÀNH CHÍNH CÔNG", align="C", new_x="LMARGIN", new_y="NEXT")
        f.set_font(FAMILY, "", 8.5)
        f.cell(0, 4.5, LEG_TEXT[item.leg], align="C", new_x="LMARGIN", new_y="NEXT")
        f.ln(2)
        width = f.w - f.l_margin - f.r_margin
        top = f.get_y()
        f.code128(item.item_id, f.l_margin, top, width, 20)
        f.set_y(top + 21)
        f.set_font(FAMILY, "B", 14)
        spaced = f"{item.item_id[:2]} {item.item_id[2:6]} {item.item_id[6:10]} {item.item_id[10:]}"
        f.cell(0, 7, spaced, align="C", new_x="LMARGIN", new_y="NEXT")
        f.ln(2)
        self._party("ĐẾN", recipient, bold=True)
        f.ln(1)
        self._party("TỪ", sender, bold=False)
        f.set_font(FAMILY, "", 9)
        y = f.get_y() + 2
        qr_size = 34
        f.qr(qr, f.w - f.r_margin - qr_size, y, qr_size)
        f.set_y(y)
        # The facts run beside the QR code, never under it.
        beside = width - qr_size - 3
        for caption, value in facts:
            self.field(caption, value, 26, beside)
        f.set_y(max(f.get_y(), y + qr_size) + 1)
        f.set_font(FAMILY, "", 7.5)
        f.multi_cell(
            0,
            4,
            f"Quét mã QR hoặc vào {tracking_links.page_url()} để tra cứu.",
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        f.set_font(FAMILY, "", 9)

    def _party(self, caption: str, party: Party, *, bold: bool) -> None:
        """A "TỪ"/"ĐẾN" block: the caption, then the name and address wrapping under
        themselves."""
        f = self.form
        f.set_font(FAMILY, "B", 9)
        f.cell(14, 5, caption)
        x = f.get_x()
        f.set_font(FAMILY, "B", 10.5 if bold else 9)
        f.multi_cell(0, 5, party.name, new_x="LMARGIN", new_y="NEXT")
        f.set_font(FAMILY, "B" if bold else "", 10 if bold else 9)
        for line in party.lines():
            f.set_x(x)
            f.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        f.set_font(FAMILY, "", 9)

    def guidance(self, dossier: Dossier) -> None:
        f = self.page()
        self.header(dossier)
        f.heading("PHIẾU HƯỚNG DẪN HOÀN THIỆN HỒ SƠ", size=12)
        f.ln(1)
        self.field("Người nộp:", dossier.applicant_name, label_width=30)
        version = dossier.procedure_version
        self.field("Thủ tục:", f"{version.procedure.name} (mã {version.procedure.code})", 30)
        self.field("Ngày hướng dẫn:", _local(timezone.now()), label_width=30)
        missing = drafts.missing_documents(dossier)
        required = {d.pk: d for d in version.documents.all()}
        self.section("Giấy tờ cần bổ sung")
        f.set_font(FAMILY, "", 8.5)
        with self.numbered_table(
            ("TT", "Tên giấy tờ", "Yêu cầu"), (8, 88, 32), ("CENTER", "LEFT", "LEFT"), 4.4
        ) as table:
            for index, doc in enumerate(missing, start=1):
                rule = required.get(doc.required_id) if doc.required_id is not None else None
                row = table.row()
                row.cell(str(index))
                row.cell(doc.name + (f" — {rule.note}" if rule and rule.note else ""))
                amount = f", {rule.quantity} bộ" if rule and rule.quantity > 1 else ""
                row.cell(WANTED_TEXT.get(rule.form, "") + amount if rule else "")
        handed = [d for d in dossier.documents.all() if d.present and d not in missing]
        if handed:
            self.section("Giấy tờ đã có")
            for doc in handed:
                self.note(f"• {doc.name} ({FORM_TEXT.get(doc.form, '')}, {doc.pages} trang)", 8.5)
        f.ln(2)
        point = dossier.receiving_point
        contact = f", điện thoại {point.phone}" if point.phone else ""
        where = one_line(point.address, point.commune)
        self.note(
            f"Khi đã đủ giấy tờ, Ông/Bà mang đến {point.name} ({where}{contact}) hoặc "
            f"đặt lịch để bưu tá đến nhận tại nhà: {settings.SITE_URL}/delivery/pickup/. "
            "Mang theo phiếu này và thẻ căn cước.",
            8.5,
        )
        f.ln(3)
        f.signature_boxes("NGƯỜI NỘP", "NHÂN VIÊN BƯU ĐIỆN", height=14)

    # -- helpers -------------------------------------------------------------------------
    def _address(self, dossier: Dossier) -> str:
        return one_line(dossier.applicant_address, dossier.applicant_commune) or "—"

    def _return_text(self, dossier: Dossier) -> str:
        return return_text(dossier)


def return_text(dossier: Dossier) -> str:
    """How and where the result comes back, as printed on the slip."""
    text = RETURN_TEXT.get(dossier.return_method, "")
    if dossier.service_option == "send":
        return RETURN_TEXT[ReturnMethod.AT_AGENCY]
    if dossier.return_method == ReturnMethod.DELIVER:
        return f"{text}: {citizen_party(dossier).address}"
    if dossier.return_method == ReturnMethod.HOLD and dossier.return_point is not None:
        return f"{text}: {dossier.return_point.name}"
    return text


TITLES = {
    "slip": "Phiếu gửi hồ sơ",
    "receipt": "Biên lai thu tiền",
    "label": "Nhãn bưu gửi",
    "all": "Phiếu gửi, biên lai và nhãn",
    "guidance": "Phiếu hướng dẫn hoàn thiện hồ sơ",
}


def render(dossier: Dossier, which: str) -> bytes:
    """One of FORMS for a sealed dossier, or "guidance" for a draft."""
    printer = Printer(f"{TITLES[which]} {dossier.code or ''}".strip())
    if which == "guidance":
        printer.guidance(dossier)
        return printer.render()
    items = list(dossier.items.order_by("created_at", "pk"))
    if which in ("slip", "all"):
        printer.slip(dossier, items)
    if which in ("receipt", "all"):
        printer.receipt(dossier, items)
    if which in ("label", "all"):
        # Every item's label: the return label travels in the parcel with the dossier, so
        # the result goes back under the address the citizen gave at the counter.
        for item in items:
            printer.label(dossier, item)
    return printer.render()


def render_item_label(item: PostalItem) -> bytes:
    """The label of one postal item (a supplement, a result), the same as the counter's."""
    if item.dossier_id is None:
        raise ValueError("a postal order's item has no counter dossier's label")
    dossier = load(item.dossier_id)
    printer = Printer(f"{TITLES['label']} {item.item_id}")
    printer.label(dossier, item)
    return printer.render()
