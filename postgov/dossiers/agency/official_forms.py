"""The agency's printed forms (Circular 03/2025/TT-VPCP), A4, rendered from the event that
issued them, so a form printed again later says exactly what was decided then.

- 01 Giấy tiếp nhận hồ sơ và hẹn trả kết quả — at the hand-over (the legal receipt)
- 02 Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ — request_supplement
- 03 Phiếu từ chối tiếp nhận giải quyết hồ sơ — refuse
- 04 Phiếu xin lỗi và hẹn lại ngày trả kết quả — extend
- 05 Thông báo dừng giải quyết hồ sơ — stop

The text of the forms is Vietnamese whatever the page language: they are legal documents
addressed to the citizen, in the wording of the circular, and are not translated.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.utils import timezone

from postgov.dossiers.agency.actions import FORM_OF_ACTION, RefusalReason, StopReason
from postgov.dossiers.intake.printing import citizen_party
from postgov.dossiers.models import Dossier, DossierEvent, ReturnMethod
from postgov.lib import tracking_links
from postgov.lib.pdf import FAMILY, FONTS, Form, vnd
from postgov.places.addresses import one_line

FORM_TITLES = {
    "01": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "02": "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    "03": "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
    "04": "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    "05": "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
}
REFUSAL_VI = {
    RefusalReason.NOT_COMPETENT: "Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan",
    RefusalReason.NOT_ELIGIBLE: "Người nộp không đủ điều kiện thực hiện thủ tục",
    RefusalReason.INVALID: "Giấy tờ trong hồ sơ không hợp lệ",
    RefusalReason.NOT_BY_POST: "Thủ tục yêu cầu người nộp phải có mặt trực tiếp",
    RefusalReason.OTHER: "Lý do khác",
}
STOP_VI = {
    StopReason.NO_SUPPLEMENT: "Quá thời hạn mà hồ sơ bổ sung chưa được nộp",
    StopReason.NO_PAYMENT: "Nghĩa vụ tài chính chưa được thực hiện",
    StopReason.LEGAL_OBSTACLE: "Có vướng mắc pháp lý, không thể tiếp tục giải quyết",
    StopReason.OTHER: "Lý do khác",
}
RETURN_VI = {
    ReturnMethod.DELIVER: "Qua dịch vụ bưu chính công ích, tại địa chỉ: ",
    ReturnMethod.HOLD: "Tại bưu điện: ",
    ReturnMethod.AT_AGENCY: "Trực tiếp tại Bộ phận tiếp nhận và trả kết quả",
}
A4_MARGIN = 18


def local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def vn_date(moment: datetime) -> str:
    m = local(moment)
    return f"ngày {m.day:02d} tháng {m.month:02d} năm {m.year}"


def vn_time(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    m = local(moment)
    return f"{m.hour:02d} giờ {m.minute:02d} phút, ngày {m:%d/%m/%Y}"


def mask_id(number: str) -> str:
    """045090001234 -> 045******234: printed on paper that travels."""
    if len(number) < 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 6) + number[-3:]


class OfficialForm(Form):
    """A4 with the header of an administrative document."""

    def __init__(self, title: str, *, format: str = "A4", fonts: Path = FONTS):
        super().__init__(format=format, title=title, fonts=fonts)
        self.set_margins(A4_MARGIN, 14, A4_MARGIN)
        self.set_xy(A4_MARGIN, 14)

    @property
    def body_width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def header_block(self, issuer: str, unit: str, number: str, place: str, when: datetime):
        left_w = self.body_width * 0.42
        right_w = self.body_width - left_w
        top = self.get_y()
        self.set_font(FAMILY, "", 9)
        self.multi_cell(left_w, 4.5, issuer.upper(), align="C", new_x="LEFT", new_y="NEXT")
        self.set_font(FAMILY, "B", 9)
        self.multi_cell(left_w, 4.5, unit.upper(), align="C", new_x="LEFT", new_y="NEXT")
        self.set_font(FAMILY, "", 9)
        self.multi_cell(left_w, 5, f"Số: {number}", align="C", new_x="LEFT", new_y="NEXT")
        left_bottom = self.get_y()
        self.set_xy(self.l_margin + left_w, top)
        self.set_font(FAMILY, "B", 9.5)
        self.cell(right_w, 4.5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C")
        self.set_xy(self.l_margin + left_w, top + 4.5)
        self.set_font(FAMILY, "B", 10)
        self.cell(right_w, 5, "Độc lập - Tự do - Hạnh phúc", align="C")
        line_w = 44
        x = self.l_margin + left_w + (right_w - line_w) / 2
        self.line(x, top + 10, x + line_w, top + 10)
        self.set_xy(self.l_margin + left_w, top + 12)
        self.set_font(FAMILY, "I", 9.5)
        self.cell(right_w, 5, f"{place}, {vn_date(when)}", align="C")
        self.set_y(max(left_bottom, top + 18) + 5)

    def title_block(self, title: str, subtitle: str = "") -> None:
        self.set_font(FAMILY, "B", 13)
        self.multi_cell(0, 6.5, title, align="C", new_x="LMARGIN", new_y="NEXT")
        if subtitle:
            self.set_font(FAMILY, "I", 9.5)
            self.multi_cell(0, 5, subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(3)
        self.set_font(FAMILY, "", 10)

    def para(self, text: str, *, bold: bool = False, italic: bool = False, indent: float = 0):
        style = ("B" if bold else "") + ("I" if italic else "")
        self.set_font(FAMILY, style, 10)
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, 5.4, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "", 10)

    def labelled(self, label: str, value: str, *, indent: float = 0) -> None:
        """'Label: value' with the value in bold, wrapping under itself."""
        self.set_x(self.l_margin + indent)
        self.set_font(FAMILY, "", 10)
        width = self.get_string_width(label + " ") + 1
        self.cell(width, 5.4, label)
        self.set_font(FAMILY, "B", 10)
        self.multi_cell(0, 5.4, value or "—", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "", 10)

    def table(self, headers: list[str], widths: list[float], rows: list[list[str]]) -> None:
        """A simple bordered table; cells wrap; rows never split across pages."""
        total = sum(widths)
        widths = [w * self.body_width / total for w in widths]
        self.set_font(FAMILY, "B", 8.5)
        self.set_fill_color(235, 239, 244)
        self._row(headers, widths, fill=True, align="C")
        self.set_font(FAMILY, "", 8.5)
        for row in rows:
            self._row(row, widths)
        self.set_font(FAMILY, "", 10)
        self.ln(2)

    def _row(self, cells: list[str], widths: list[float], fill=False, align="L") -> None:
        line_h, pad = 4.4, 0.8
        # Measured at the width the text is written in: a text that fits the cell but not
        # its padded inside wraps once more, and the row must grow with it.
        height = max(
            self.wrapped_height(text, width - 2 * pad, line_h) + 2 * pad
            for text, width in zip(cells, widths, strict=True)
        )
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()
        y = self.get_y()
        x = self.l_margin
        for text, width in zip(cells, widths, strict=True):
            self.rect(x, y, width, height, style="DF" if fill else "D")
            self.set_xy(x + pad, y + pad)
            self.multi_cell(width - 2 * pad, line_h, text, align=align)
            x += width
        self.set_xy(self.l_margin, y + height)

    def signatures(self, blocks: list[tuple[str, str, str]], space: float = 20) -> None:
        """Signature places side by side: (title, name, note under the name)."""
        width = self.body_width / len(blocks)
        needed = (
            space
            + 4
            + max(
                self.wrapped_height(title, width, 4.8, "B", 9.5)
                + 4
                + self.wrapped_height(name, width, 4.8, "B", 9.5)
                + (self.wrapped_height(note, width, 3.8, "I", 7.5) if note else 0)
                for title, name, note in blocks
            )
        )
        if self.get_y() + needed > self.page_break_trigger:
            self.add_page()
        y = self.get_y() + 4
        bottom = y
        for index, (title, name, note) in enumerate(blocks):
            x = self.l_margin + index * width
            self.set_xy(x, y)
            self.set_font(FAMILY, "B", 9.5)
            self.multi_cell(width, 4.8, title, align="C", new_x="LEFT", new_y="NEXT")
            self.set_font(FAMILY, "I", 8)
            self.multi_cell(width, 4, "(Ký, ghi rõ họ tên)", align="C", new_x="LEFT", new_y="NEXT")
            self.set_xy(x, self.get_y() + space)
            self.set_font(FAMILY, "B", 9.5)
            self.multi_cell(width, 4.8, name or "", align="C", new_x="LEFT", new_y="NEXT")
            if note:
                self.set_font(FAMILY, "I", 7.5)
                self.multi_cell(width, 3.8, note, align="C", new_x="LEFT", new_y="NEXT")
            bottom = max(bottom, self.get_y())
        self.set_font(FAMILY, "", 10)
        self.set_y(bottom + 4)

    def tracking_qr(self, dossier: Dossier) -> None:
        url = tracking_links.page_url()
        size = 22
        if self.get_y() + size > self.page_break_trigger:
            self.add_page()
        y = self.get_y()
        # The form is the citizen's: its QR opens their whole dossier (tracking token).
        self.qr(tracking_links.link(dossier.code or "", dossier.pk), self.l_margin, y, size)
        self.set_xy(self.l_margin + size + 3, y + 5)
        self.set_font(FAMILY, "", 8.5)
        self.multi_cell(
            0,
            4.2,
            f"Tra cứu tình trạng hồ sơ tại {url} với mã hồ sơ {dossier.code} "
            "và 4 số cuối điện thoại của người nộp.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.set_y(y + size + 2)


def _person(user) -> str:
    return (user.get_full_name() if user is not None else "") or ""


def _place(dossier: Dossier) -> str:
    agency = dossier.agency
    if agency.commune_id:
        return agency.commune.short_name
    return agency.province.short_name


def _start(dossier: Dossier, event: DossierEvent, form: str) -> OfficialForm:
    pdf = OfficialForm(FORM_TITLES[form])
    agency = dossier.agency
    unit = "Bộ phận tiếp nhận và trả kết quả"
    pdf.header_block(agency.name, unit, f"{event.pk}/{form}", _place(dossier), event.at)
    return pdf


def _applicant(pdf: OfficialForm, dossier: Dossier) -> None:
    pdf.labelled("Ông/Bà:", dossier.applicant_name)
    pdf.labelled("Số định danh cá nhân:", mask_id(dossier.applicant_id_number))
    pdf.labelled("Địa chỉ:", one_line(dossier.applicant_address, dossier.applicant_commune) or "—")
    pdf.labelled("Số điện thoại:", dossier.applicant_phone)
    pdf.labelled("Nội dung yêu cầu giải quyết:", dossier.procedure.name)


def _handover_event(dossier: Dossier) -> DossierEvent | None:
    return dossier.events.filter(action="hand_over").order_by("at").first()


def form_01(dossier: Dossier, event: DossierEvent) -> bytes:
    pdf = _start(dossier, event, "01")
    pdf.title_block(FORM_TITLES["01"], f"Mã hồ sơ: {dossier.code}")
    pdf.para(f"{dossier.agency.name} tiếp nhận hồ sơ của:")
    _applicant(pdf, dossier)
    items = ", ".join(dossier.items.filter(leg="outbound").values_list("item_id", flat=True))
    pdf.para(
        "Hồ sơ nộp qua dịch vụ bưu chính công ích tại "
        f"{dossier.receiving_point.name}" + (f", số hiệu bưu gửi {items}." if items else ".")
    )
    pdf.ln(1)
    pdf.para("1. Thành phần hồ sơ nộp gồm:", bold=True)
    rows = []
    for index, doc in enumerate(dossier.documents.filter(present=True), start=1):
        form = {"original": "Bản chính", "copy": "Bản sao"}.get(doc.form, "")
        rows.append([str(index), doc.name, form, str(doc.pages or "")])
    if not rows:
        rows.append(["1", "Theo phiếu gửi hồ sơ kèm theo", "", ""])
    pdf.table(["STT", "Tên giấy tờ", "Hình thức", "Số trang"], [8, 62, 18, 12], rows)
    pdf.para("2. Số lượng hồ sơ: 01 (bộ)", bold=True)
    version = dossier.procedure_version
    unit = "giờ làm việc" if version.time_unit == "working_hours" else "ngày làm việc"
    limit = f"{version.processing_time.normalize():f}".replace(".", ",")
    pdf.para(f"3. Thời gian giải quyết hồ sơ theo quy định là: {limit} {unit}", bold=True)
    pdf.para(f"4. Thời gian nhận hồ sơ: {vn_time(dossier.submitted_at or event.at)}", bold=True)
    due = dossier.first_due_at or dossier.due_at
    pdf.para(f"5. Thời gian trả kết quả giải quyết hồ sơ: {vn_time(due)}", bold=True)
    where = RETURN_VI.get(dossier.return_method, "")
    if dossier.return_method == ReturnMethod.DELIVER:
        where += citizen_party(dossier).address
    elif dossier.return_method == ReturnMethod.HOLD:
        where += (dossier.return_point or dossier.receiving_point).name
    pdf.para(f"6. Đăng ký nhận kết quả: {where}", bold=True)
    if dossier.procedure_fee:
        pdf.para(f"7. Lệ phí đã thu hộ qua bưu điện: {vnd(dossier.procedure_fee)}", bold=True)
    pdf.ln(1)
    pdf.tracking_qr(dossier)
    postman = event.details.get("postman_name", "")
    pdf.signatures(
        [
            ("NGƯỜI NỘP HỒ SƠ", dossier.applicant_name, "Nộp qua bưu chính công ích"),
            (
                "NHÂN VIÊN BƯU CHÍNH",
                postman,
                "Người giao hồ sơ",
            ),
            ("NGƯỜI TIẾP NHẬN HỒ SƠ", _person(event.actor), "Xác nhận điện tử"),
        ]
    )
    return pdf.render()


def form_02(dossier: Dossier, event: DossierEvent) -> bytes:
    pdf = _start(dossier, event, "02")
    pdf.title_block(FORM_TITLES["02"], f"Mã hồ sơ: {dossier.code}")
    _applicant(pdf, dossier)
    received = dossier.submitted_at or event.at
    pdf.ln(1)
    pdf.para(
        f"Ngày {local(received):%d/%m/%Y}, {dossier.agency.name} đã tiếp nhận hồ sơ của "
        "ông/bà qua dịch vụ bưu chính công ích. Sau khi xem xét, đề nghị ông/bà bổ sung, "
        "hoàn thiện hồ sơ gồm những nội dung sau:"
    )
    for index, line in enumerate(event.details.get("missing") or [], start=1):
        pdf.para(f"{index}. {line}", indent=6)
    missing = "; ".join(event.details.get("missing") or [])
    if event.note and event.note != missing:
        pdf.labelled("Lý do, hướng dẫn:", event.note)
    pdf.ln(1)
    pdf.para(
        "Ông/bà nộp giấy tờ bổ sung tại bưu điện đã nhận hồ sơ "
        f"({dossier.receiving_point.name}) hoặc trực tiếp tại cơ quan. Thời hạn giải quyết "
        f"tạm dừng từ {vn_time(event.at)} và được tính tiếp khi cơ quan nhận đủ hồ sơ bổ sung."
    )
    phone = f", số điện thoại {dossier.agency.phone}," if dossier.agency.phone else ""
    pdf.para(
        "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, ông/bà liên hệ "
        f"{dossier.agency.name}{phone} để được hướng dẫn.",
        italic=True,
    )
    pdf.signatures([("NGƯỜI NỘP HỒ SƠ", "", ""), ("NGƯỜI HƯỚNG DẪN", _person(event.actor), "")])
    return pdf.render()


def form_03(dossier: Dossier, event: DossierEvent) -> bytes:
    pdf = _start(dossier, event, "03")
    pdf.title_block(FORM_TITLES["03"], f"Mã hồ sơ: {dossier.code}")
    _applicant(pdf, dossier)
    pdf.ln(1)
    received = dossier.submitted_at or event.at
    pdf.para(
        f"Ngày {local(received):%d/%m/%Y}, {dossier.agency.name} nhận được hồ sơ của ông/bà "
        "qua dịch vụ bưu chính công ích. Qua xem xét, cơ quan thông báo không tiếp nhận, "
        "giải quyết hồ sơ này với lý do cụ thể như sau:"
    )
    reason = REFUSAL_VI.get(event.reason_code, "")
    pdf.para(f"- {reason}" + (f": {event.note}" if event.note else "."), indent=6)
    pdf.para(
        "Hồ sơ được trả lại cho ông/bà qua dịch vụ bưu chính công ích. "
        "Xin thông báo để ông/bà được biết và thực hiện."
    )
    pdf.signatures([("NGƯỜI TIẾP NHẬN HỒ SƠ", _person(event.actor), "")])
    return pdf.render()


def form_04(dossier: Dossier, event: DossierEvent) -> bytes:
    pdf = _start(dossier, event, "04")
    pdf.title_block(FORM_TITLES["04"], f"Mã hồ sơ: {dossier.code}")
    received = dossier.submitted_at or event.at
    previous = event.details.get("previous_due")
    new = event.details.get("new_due")
    previous_due = datetime.fromisoformat(previous) if previous else dossier.first_due_at
    new_due = datetime.fromisoformat(new) if new else dossier.due_at
    pdf.para(
        f"Ngày {local(received):%d/%m/%Y}, {dossier.agency.name} tiếp nhận giải quyết hồ sơ "
        f"của ông/bà {dossier.applicant_name}."
    )
    pdf.labelled("Nội dung yêu cầu giải quyết:", dossier.procedure.name)
    pdf.labelled("Mã hồ sơ:", dossier.code or "")
    pdf.labelled("Thời gian hẹn trả kết quả giải quyết hồ sơ:", vn_time(previous_due))
    pdf.ln(1)
    pdf.para(
        f"Tuy nhiên, {dossier.agency.name} không thể trả kết quả giải quyết hồ sơ cho ông/bà "
        "đúng thời hạn ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả vì lý do:"
    )
    pdf.para(f"- {event.note}", indent=6)
    pdf.para(
        f"Sự chậm trễ này đã gây phiền hà cho ông/bà. {dossier.agency.name} xin lỗi ông/bà "
        f"và sẽ trả kết quả giải quyết hồ sơ vào {vn_time(new_due)}."
    )
    pdf.labelled("Thời gian hẹn trả kết quả mới:", vn_time(new_due))
    pdf.para("Kính mong nhận được sự thông cảm của ông/bà.", italic=True)
    pdf.signatures([("THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ", "", f"Người lập phiếu: {_person(event.actor)}")])
    return pdf.render()


def form_05(dossier: Dossier, event: DossierEvent) -> bytes:
    pdf = _start(dossier, event, "05")
    pdf.title_block(FORM_TITLES["05"], f"Mã hồ sơ: {dossier.code}")
    _applicant(pdf, dossier)
    pdf.ln(1)
    received = dossier.submitted_at or event.at
    pdf.para(
        f"{dossier.agency.name} đã tiếp nhận hồ sơ của ông/bà ngày {local(received):%d/%m/%Y}. "
        f"Cơ quan thông báo dừng giải quyết hồ sơ kể từ {vn_time(event.at)} với lý do:"
    )
    reason = STOP_VI.get(event.reason_code, "")
    pdf.para(f"- {reason}" + (f": {event.note}" if event.note else "."), indent=6)
    pdf.para(
        "Hồ sơ được trả lại cho ông/bà qua dịch vụ bưu chính công ích. "
        "Xin thông báo để ông/bà được biết."
    )
    pdf.signatures([("THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ", "", f"Người lập: {_person(event.actor)}")])
    return pdf.render()


RENDERERS = {"01": form_01, "02": form_02, "03": form_03, "04": form_04, "05": form_05}


def form_for_event(event: DossierEvent) -> str | None:
    return FORM_OF_ACTION.get(event.action)


def render_event_form(dossier: Dossier, event: DossierEvent) -> tuple[str, bytes]:
    """(file name, PDF) of the form the event issued."""
    number = form_for_event(event)
    if number is None:
        raise ValueError(f"event {event.pk} ({event.action}) issues no form")
    return f"mau-{number}-{dossier.code}-{event.pk}.pdf", RENDERERS[number](dossier, event)
