"""The receipt of an assisted session, A5, in Vietnamese whatever the clerk's screen
language (the citizen keeps it), drawn with the same PDF helpers as the counter's receipt
(`postgov.lib.pdf`) from stored values only, so a reprint shows the same figures."""

from __future__ import annotations

from django.utils import timezone, translation
from fpdf.fonts import FontFace

from postgov.assisted.models import AssistedSession, Outcome
from postgov.lib.pdf import FAMILY, Form, vnd
from postgov.lib.vnwords import vnd_in_words


def _masked(id_number: str) -> str:
    # The receipt may be left lying on a counter: the last four digits are enough.
    return f"{'•' * (len(id_number) - 4)}{id_number[-4:]}" if id_number else "—"


def render(session: AssistedSession) -> bytes:
    with translation.override("vi"):
        return _render(session)


def _render(session: AssistedSession) -> bytes:
    f = Form(title=f"Biên lai hỗ trợ dịch vụ công trực tuyến {session.receipt_number}")
    point = session.point
    f.set_font(FAMILY, "B", 7.5)
    width = (f.w - f.l_margin - f.r_margin) / 2
    f.cell(width, 3.8, f"BƯU ĐIỆN {point.commune.province.name.upper()}", align="C")
    f.cell(
        width, 3.8, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    f.set_font(FAMILY, "", 7.5)
    f.cell(width, 3.8, point.name, align="C")
    f.set_font(FAMILY, "B", 7.5)
    f.cell(width, 3.8, "Độc lập – Tự do – Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    f.ln(4)
    f.heading("BIÊN LAI THU PHÍ\nHỖ TRỢ SỬ DỤNG DỊCH VỤ CÔNG TRỰC TUYẾN", size=11)
    f.field("Số biên lai:", session.receipt_number, 36)
    f.field("Người được hỗ trợ:", session.citizen_name, 36)
    f.field("Số định danh:", _masked(session.citizen_id_number), 36)
    portal = session.get_portal_display()
    if session.portal_detail:
        portal += f" — {session.portal_detail}"
    f.field("Cổng dịch vụ công:", portal, 36)
    f.field("Thủ tục / dịch vụ:", session.what, 36)
    started = timezone.localtime(session.started_at)
    ended = timezone.localtime(session.ended_at) if session.ended_at else None
    f.field(
        "Thời gian:",
        f"{started:%H:%M}–{ended:%H:%M} ngày {started:%d/%m/%Y} ({session.minutes_spent} phút)"
        if ended
        else f"{started:%H:%M %d/%m/%Y}",
        36,
    )
    if session.outcome == Outcome.SUBMITTED:
        f.field("Kết quả:", f"Đã nộp hồ sơ, mã hồ sơ {session.portal_code}", 36)
    else:
        reason = session.get_not_possible_reason_display()
        f.field("Kết quả:", f"Chưa nộp được: {reason}", 36)
    consent = (
        "ký giấy số " + session.consent_reference if session.consent_reference else "trên màn hình"
    )
    f.field("Đồng ý của người dân:", f"{consent}, mẫu {session.consent_notice_version}", 36)
    f.ln(2)
    f.set_font(FAMILY, "", 8.5)
    with f.table(
        col_widths=(8, 90, 30), text_align=("CENTER", "LEFT", "RIGHT"), line_height=4.6, padding=0.8
    ) as table:
        heading = table.row()
        for text in ("TT", "Nội dung", "Số tiền"):
            heading.cell(text)
        row = table.row()
        row.cell("1")
        row.cell("Phí hỗ trợ sử dụng dịch vụ công trực tuyến")
        row.cell(vnd(session.fee_base))
        if session.exemption is not None:
            row = table.row()
            row.cell("2")
            row.cell(f"Miễn phí: {session.exemption.name} ({session.exemption_note})")
            row.cell("-" + vnd(session.fee_base))
        bold = FontFace(emphasis="BOLD")
        total = table.row()
        total.cell("")
        total.cell("TỔNG CỘNG", style=bold)
        total.cell(vnd(session.fee_due), style=bold)
    f.ln(1)
    f.set_font(FAMILY, "I", 8.5)
    f.multi_cell(
        0, 4.5, f"Bằng chữ: {vnd_in_words(session.fee_due)}.", new_x="LMARGIN", new_y="NEXT"
    )
    f.ln(1)
    f.set_font(FAMILY, "", 7.5)
    f.multi_cell(
        0,
        3.6,
        "Người dân tự đăng nhập và tự nhập mật khẩu, mã OTP của mình. Nhân viên bưu điện "
        "không hỏi, không ghi và không nhập mật khẩu hay mã OTP của người dân.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if session.order is not None:
        f.multi_cell(
            0,
            3.6,
            f"Kết quả được chuyển phát qua bưu chính: đơn hàng {session.order.code}.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    f.ln(2)
    f.signature_boxes("NGƯỜI NỘP TIỀN", "NGƯỜI THU TIỀN", height=14)
    f.set_font(FAMILY, "B", 8.5)
    f.cell(width, 4, session.citizen_name, align="C")
    f.cell(width, 4, session.clerk.get_full_name(), align="C")
    return f.render()
