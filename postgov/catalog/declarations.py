"""The declaration form of a procedure, to print and fill in at home.

The catalog keeps a procedure's form as one of its documents, named as the national
database names it: "Tờ khai đăng ký khai sinh (theo mẫu)", "Tờ khai thay đổi thông tin
cư trú (Mẫu CT01)". It keeps no file of the official template, so what is printed is a
declaration laid out from the catalog's own data — the form's title, the procedure, the
facts every declaration asks, the papers to attach — and it says so at the bottom:
where the agency issues its own template, that one is used.

Vietnamese whatever the page's language, like every form that is signed and handed in.
"""

from __future__ import annotations

import re

from postgov.catalog.models import ProcedureVersion, RequiredDocument
from postgov.lib.pdf import FAMILY, Form
from postgov.lib.text import fold

# "(theo mẫu)", "(theo mẫu dành cho Phiếu số 2)", "(Mẫu CT01)"; or a declaration by name.
FORM_MARK = re.compile(r"\((theo )?mau\b")
DECLARATION_NAMES = ("to khai", "don de nghi", "don dang ky", "giay de nghi")
DOTS = "." * 400


def declaration_document(version: ProcedureVersion | None) -> RequiredDocument | None:
    """The document of `version` that is a form to fill in, if the catalog has one."""
    if version is None:
        return None
    for document in version.documents.all():
        name = fold(document.name)
        if FORM_MARK.search(name) or name.startswith(DECLARATION_NAMES):
            return document
    return None


def title_of(document: RequiredDocument) -> str:
    """'Tờ khai đăng ký khai sinh (theo mẫu)' -> 'TỜ KHAI ĐĂNG KÝ KHAI SINH'."""
    name = re.sub(r"\s*\((theo )?mẫu[^)]*\)", "", document.name, flags=re.IGNORECASE)
    return name.strip().upper()


def file_name(version: ProcedureVersion) -> str:
    return f"to-khai-{version.procedure.code}-v{version.version}.pdf"


def render(version: ProcedureVersion, document: RequiredDocument) -> bytes:
    form = Form(format="A4", title=title_of(document))
    width = form.w - form.l_margin - form.r_margin
    form.set_font(FAMILY, "B", 10)
    form.cell(
        width, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    form.cell(width, 5, "Độc lập – Tự do – Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    form.ln(6)
    form.heading(title_of(document), size=14)
    form.set_font(FAMILY, "I", 9)
    form.multi_cell(
        0,
        5,
        f"Thủ tục: {version.procedure.name} (mã {version.procedure.code})",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    form.ln(4)
    _blank(form, "Kính gửi: ")
    form.ln(2)
    for label in (
        "Họ, chữ đệm và tên người yêu cầu: ",
        "Ngày, tháng, năm sinh: ",
        "Số định danh cá nhân: ",
        "Nơi cư trú: ",
        "Số điện thoại: ",
    ):
        _blank(form, label)
    form.ln(2)
    form.set_font(FAMILY, "B", 10)
    form.cell(0, 7, "Nội dung đề nghị:", new_x="LMARGIN", new_y="NEXT")
    form.set_font(FAMILY, "", 10)
    for _line in range(6):
        _blank(form, "")
    others = [d for d in version.documents.all() if d.pk != document.pk]
    if others:
        form.ln(2)
        form.set_font(FAMILY, "B", 10)
        form.cell(
            0, 7, "Giấy tờ gửi kèm (đánh dấu những giấy tờ có):", new_x="LMARGIN", new_y="NEXT"
        )
        form.set_font(FAMILY, "", 10)
        for other in others:
            optional = "" if other.mandatory else " (nếu có)"
            # A box to tick, drawn: the embedded font has no ballot-box character.
            form.rect(form.l_margin, form.get_y() + 1.5, 3.2, 3.2)
            form.set_x(form.l_margin + 6)
            form.multi_cell(0, 6, f"{other.name}{optional}", new_x="LMARGIN", new_y="NEXT")
    form.ln(3)
    form.multi_cell(
        0,
        5.5,
        "Tôi cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm "
        "trước pháp luật về lời cam đoan của mình.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    form.ln(3)
    form.set_x(form.l_margin + width / 2)
    form.set_font(FAMILY, "I", 10)
    form.cell(width / 2, 6, "........, ngày ..... tháng ..... năm ........", align="C")
    form.ln(6)
    form.set_x(form.l_margin + width / 2)
    form.set_font(FAMILY, "B", 10)
    form.cell(width / 2, 6, "NGƯỜI YÊU CẦU", align="C")
    form.ln(5)
    form.set_x(form.l_margin + width / 2)
    form.set_font(FAMILY, "I", 8)
    form.cell(width / 2, 5, "(Ký, ghi rõ họ tên)", align="C")
    form.ln(28)
    form.set_font(FAMILY, "I", 7.5)
    form.multi_cell(
        0,
        4,
        f"Tờ khai chung do PostGov lập từ danh mục thủ tục (phiên bản {version.version}, "
        f"hiệu lực từ {version.effective_from:%d/%m/%Y}). Nếu cơ quan giải quyết ban hành "
        "mẫu riêng, xin dùng mẫu đó. Nộp kèm hồ sơ tại bưu điện hoặc đưa bưu tá khi thu "
        "gom tại nhà.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return form.render()


def _blank(form: Form, label: str) -> None:
    """A label followed by a dotted line to the right margin."""
    form.set_font(FAMILY, "", 10)
    label_width = form.get_string_width(label) + 1 if label else 0
    if label:
        form.cell(label_width, 8, label)
    room = form.w - form.r_margin - form.get_x()
    dots = DOTS[: max(0, int(room / form.get_string_width(".")) - 1)]
    form.cell(room, 8, dots, new_x="LMARGIN", new_y="NEXT")
