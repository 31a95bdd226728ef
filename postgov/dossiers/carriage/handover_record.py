"""The biên bản giao nhận (hand-over record) of a manifest, A4, and the label of a supplement
or result item. Vietnamese whatever the page language: they are signed papers."""

from __future__ import annotations

from django.utils import timezone

from postgov.delivery.models import Manifest, ManifestItem, MissingSignature, PostalItem
from postgov.dossiers.agency.official_forms import OfficialForm, vn_time
from postgov.dossiers.intake.printing import render_item_label
from postgov.dossiers.orders.labels import order_item_label
from postgov.lib.pdf import vnd

CHECK_VI: dict[str, str] = {
    ManifestItem.Check.PENDING: "Chưa kiểm đếm",
    ManifestItem.Check.OK: "Đủ, đúng phiếu gửi",
    ManifestItem.Check.DISCREPANCY: "Có sai khác",
    ManifestItem.Check.NOT_RECEIVED: "Không nhận (bưu tá mang về)",
}
LEG_VI: dict[str, str] = {
    PostalItem.Leg.OUTBOUND: "Hồ sơ",
    PostalItem.Leg.SUPPLEMENT: "Hồ sơ bổ sung",
    PostalItem.Leg.RETURN: "Kết quả",
}


UNSIGNED_VI: dict[str, str] = {
    MissingSignature.Reason.PAPER: "ký trên bản giấy (thiết bị không nhận chữ ký)",
    MissingSignature.Reason.CANNOT_SIGN: "không ký được",
    MissingSignature.Reason.OTHER: "lý do khác",
}


def _signed(moment, signature_file, missing: MissingSignature | None = None) -> str:
    if moment is None:
        return "Chưa xác nhận"
    at = f"{timezone.localtime(moment):%H:%M %d/%m/%Y}"
    if signature_file:
        return f"Đã ký trên thiết bị lúc {at}"
    if missing is not None:
        return (
            f"Xác nhận trên hệ thống lúc {at}, không ký trên thiết bị: "
            f"{UNSIGNED_VI.get(missing.reason, '')} ({missing.note})"
        )
    return f"Đã xác nhận trên hệ thống lúc {at}"


def handover_record_pdf(manifest: Manifest) -> bytes:
    outbound = manifest.direction == Manifest.Direction.OUTBOUND
    title = "BIÊN BẢN GIAO NHẬN HỒ SƠ" if outbound else "BIÊN BẢN GIAO NHẬN KẾT QUẢ"
    pdf = OfficialForm(title)
    point = manifest.service_point
    when = manifest.handed_over_at or manifest.presented_at or manifest.created_at
    pdf.header_block(
        "Bưu điện tỉnh " + manifest.province.short_name,
        point.name,
        manifest.code,
        point.commune.short_name,
        when,
    )
    pdf.title_block(title, f"Bảng kê số {manifest.code}")
    postman = manifest.postman.get_full_name()
    giver = f"{point.name} — nhân viên bưu chính {postman}"
    receiver = manifest.received_by.get_full_name() if manifest.received_by else ""
    taker = manifest.agency.name + (f" — người tiếp nhận {receiver}" if receiver else "")
    if outbound:
        pdf.labelled("Bên giao:", giver)
        pdf.labelled("Bên nhận:", taker)
    else:
        pdf.labelled("Bên giao:", manifest.agency.name)
        pdf.labelled("Bên nhận:", giver)
    if outbound and manifest.handed_over_at:
        pdf.labelled("Thời điểm giao nhận (thời điểm nộp hồ sơ):", vn_time(manifest.handed_over_at))
    elif manifest.handed_over_at:
        pdf.labelled("Thời điểm giao nhận:", vn_time(manifest.handed_over_at))
    pdf.para("Hai bên cùng kiểm đếm từng bưu gửi theo phiếu gửi hồ sơ, cụ thể như sau:")
    rows = []
    lines = manifest.items.select_related(
        "item", "dossier__procedure_version__procedure", "order__procedure"
    )
    for index, line in enumerate(lines, start=1):
        state = CHECK_VI[line.check_result] + (f": {line.check_note}" if line.check_note else "")
        if line.order is not None:
            # A dossier filed online: its code on the portal, the person the post serves.
            code, procedure, person = (
                line.order.portal_code,
                line.order.procedure.name,
                line.order.recipient_name,
            )
        elif line.dossier is not None:
            code, procedure, person = (
                line.dossier.code or "",
                line.dossier.procedure.name,
                line.dossier.applicant_name,
            )
        else:
            continue
        rows.append(
            [
                str(index),
                f"{code}\n{line.item.item_id}",
                LEG_VI.get(line.item.leg, ""),
                procedure,
                person,
                vnd(line.fee_received if manifest.handed_over_at else line.fee_expected)
                if outbound
                else "",
                state if outbound else "",
            ]
        )
    pdf.table(
        ["STT", "Mã hồ sơ / số hiệu", "Loại", "Thủ tục", "Người nộp", "Lệ phí", "Kiểm đếm"],
        [8, 34, 10, 25, 18, 13, 20],
        rows,
    )
    count = len(rows)
    pdf.labelled("Tổng số bưu gửi:", f"{count:02d}")
    if outbound:
        pdf.labelled("Tổng lệ phí thu hộ phải giao:", vnd(manifest.fees_expected))
        if manifest.handed_over_at:
            pdf.labelled("Tổng lệ phí cơ quan đã nhận:", vnd(manifest.fees_received))
    pdf.para("Biên bản được lập thành 02 bản có giá trị như nhau, mỗi bên giữ 01 bản.", italic=True)
    missing = {row.step: row for row in manifest.missing_signatures.all()}
    left = (
        "ĐẠI DIỆN BÊN GIAO",
        postman,
        _signed(
            manifest.presented_at,
            manifest.postman_signature,
            missing.get(MissingSignature.Step.PRESENTED),
        ),
    )
    right = (
        "ĐẠI DIỆN BÊN NHẬN",
        receiver,
        _signed(
            manifest.handed_over_at,
            manifest.receiver_signature,
            missing.get(MissingSignature.Step.RECEIVED),
        ),
    )
    if not outbound:
        left = ("ĐẠI DIỆN BÊN GIAO", "", "")
        right = ("ĐẠI DIỆN BÊN NHẬN", postman, _signed(manifest.handed_over_at, None))
    pdf.signatures([left, right])
    return pdf.render()


def item_label_pdf(item: PostalItem) -> bytes:
    """The label of a supplement or result item: the counter's label of that item, with
    the recipient's full address; a postal order's item gets the same page."""
    if item.order_id is not None:
        return order_item_label(item)
    return render_item_label(item)
