"""The citizen's one receipt for a linked package (decision 0024), A5, in Vietnamese like
the counter's forms (`dossiers.intake.printing`, whose printer draws it): the package
code, the linked procedure, each part with its agency and deadline, the fee lines with
the one total, the return, and the QR code of the package's tracking page.

Drawn from stored values only, so a reprint shows the same numbers. The QR code carries
the package code without a token, as the message sent at intake does: the tracking page
asks for the phone's last four digits before it shows the package.
"""

from __future__ import annotations

from django.utils import timezone

from postgov.dossiers.intake import printing
from postgov.dossiers.intake.printing import PAYMENT_TEXT, Printer
from postgov.dossiers.linked import queries
from postgov.dossiers.linked.models import LinkedDossier
from postgov.dossiers.workflow import State
from postgov.lib import tracking_links
from postgov.lib.pdf import FAMILY

# Keyed by the kinds stored in the package's fee lines (linked.actions._fee_lines).
FEE_TEXT: dict[str, str] = {
    "procedure_fee": "Lệ phí (bưu điện thu hộ cơ quan)",
    "postage_out": "Cước gửi hồ sơ đến cơ quan",
    "remittance_fee": "Cước dịch vụ chuyển tiền lệ phí",
    "postage_back": "Cước chuyển trả kết quả (một bưu gửi cho cả gói)",
}
TITLE = "Biên nhận hồ sơ liên thông"


def _local(value) -> str:
    return timezone.localtime(value).strftime("%H:%M ngày %d/%m/%Y") if value else ""


def _deadline(part: queries.PartView) -> str:
    """The part's legal deadline once its clock runs; before, how long its agency has."""
    if part.due_at:
        return timezone.localtime(part.due_at).strftime("%d/%m/%Y")
    version = part.dossier.procedure_version
    unit = "giờ làm việc" if version.time_unit == "working_hours" else "ngày làm việc"
    length = f"{float(version.processing_time):g} {unit}"
    if part.status == State.WAITING:
        return f"{length}, khi có kết quả bước trước"
    return f"{length} từ khi cơ quan nhận"


def render(package: LinkedDossier) -> bytes:
    view = queries.rollup(package)
    lead_part = queries.lead_part([v.part for v in view.parts])
    if lead_part is None:
        raise ValueError(f"package {package.pk} has no part carrying the return")
    lead = printing.load(lead_part.dossier_id)
    printer = Printer(f"{TITLE} {package.code}")
    f = printer.page()
    printer.header(lead)
    f.heading("BIÊN NHẬN HỒ SƠ LIÊN THÔNG", size=13)
    f.set_font(FAMILY, "I", 8)
    f.cell(0, 4, "(kiêm biên lai thu tiền)", align="C", new_x="LMARGIN", new_y="NEXT")
    f.ln(2)
    printer.field("Mã gói hồ sơ:", package.code, label_width=32)
    printer.field("Thủ tục liên thông:", package.linked_procedure.name, label_width=32)
    printer.field("Ngày nhận:", _local(package.created_at), label_width=32)
    printer.field("Người nộp:", package.applicant_name, label_width=32)
    printer.field("Điện thoại:", package.applicant_phone, label_width=32)

    printer.section("1. Các hồ sơ thành phần")
    f.set_font(FAMILY, "", 8)
    with printer.numbered_table(
        ("Bước", "Thủ tục — mã hồ sơ", "Cơ quan giải quyết", "Hạn giải quyết"),
        (10, 52, 36, 30),
        ("CENTER", "LEFT", "LEFT", "LEFT"),
        4.2,
    ) as table:
        for part in view.parts:
            row = table.row()
            row.cell(str(part.step))
            row.cell(f"{part.procedure} — {part.dossier.code or '—'}")
            row.cell(part.agency or "—")
            row.cell(_deadline(part))
    printer.note(
        "Các hồ sơ bước sau được chuyển đến cơ quan khi có kết quả của bước trước; thời hạn "
        "giải quyết của mỗi hồ sơ tính từ khi cơ quan nhận bàn giao hồ sơ đó."
    )

    printer.section("2. Các khoản thu")
    printer.fee_table(
        [
            (f"{FEE_TEXT.get(line['kind'], line['kind'])} — {line['procedure']}", line["amount"])
            for line in package.fee_lines
        ],
        package.total_due,
    )
    payment = PAYMENT_TEXT.get(lead.payment_method, "—")
    if lead.payment_reference:
        payment += f" (mã giao dịch {lead.payment_reference})"
    printer.field("Hình thức:", payment if package.total_due else "Không phải nộp", label_width=32)

    printer.section("3. Nhận kết quả")
    printer.field("Cách nhận:", printing.return_text(lead), label_width=32)
    printer.note("Kết quả của mọi hồ sơ thành phần được trả cùng một lần, trong một bưu gửi.")

    # The QR code beside the tracking instructions, as on the dossier's label.
    qr_size = 26
    if f.get_y() > f.h - f.b_margin - qr_size - 24:
        f.add_page()
    y = f.get_y() + 2
    f.qr(tracking_links.tracking_url(package.code), f.w - f.r_margin - qr_size, y, qr_size)
    f.set_xy(f.l_margin, y)
    beside = f.w - f.l_margin - f.r_margin - qr_size - 3
    f.set_font(FAMILY, "", 8.5)
    f.multi_cell(
        beside,
        4.4,
        f"Tra cứu cả gói hồ sơ: quét mã QR hoặc vào {tracking_links.page_url()}, nhập mã "
        f"gói {package.code} và 4 số cuối số điện thoại đã đăng ký.",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    f.set_y(max(f.get_y(), y + qr_size) + 2)
    f.signature_boxes("NGƯỜI NỘP", "NHÂN VIÊN BƯU ĐIỆN", height=14)
    width = (f.w - f.l_margin - f.r_margin) / 2
    f.set_font(FAMILY, "B", 8.5)
    f.cell(width, 4, package.applicant_name, align="C")
    f.cell(width, 4, lead.received_by.get_full_name(), align="C")
    return printer.render()
