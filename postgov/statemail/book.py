"""The delivery book (sổ giao nhận): the custody log printed, per item or per day at a
point. In Vietnamese whatever the page language, as the register it replaces; what it
shows of each item follows the list rule (`disclosure`).

Each hand is signed by both sides and by the guard who goes with the item: staff sign
with their own login (the book says when), a recipient and a guard draw their signature
on the screen, and the drawing is printed in their cell. A guard's ID number is masked,
as in every list."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date

from django.utils import timezone

from postgov.lib.pdf import FAMILY, Form
from postgov.places.models import ServicePoint
from postgov.statemail.models import CustodyEvent, Item, Level, masked_id

LEVEL_VI = {Level.MAT: "Mật", Level.TOI_MAT: "Tối mật", Level.TUYET_MAT: "Tuyệt mật"}
KIND_VI = {
    CustodyEvent.Kind.ACCEPTED: "Nhận gửi",
    CustodyEvent.Kind.HANDED_OVER: "Giao nhận",
    CustodyEvent.Kind.REFUSED: "Niêm phong sai/rách — dừng",
    CustodyEvent.Kind.RELEASED: "Xử lý sự cố, cho chuyển tiếp",
    CustodyEvent.Kind.DELIVERED: "Phát cho người nhận",
}
COLUMNS = (
    ("TT", 8),
    ("Số hiệu", 30),
    ("Thời gian", 26),
    ("Việc", 38),
    ("Nơi", 40),
    ("Bên giao", 38),
    ("Bên nhận", 38),
    ("Số niêm phong", 30),
    ("Áp tải / ghi chú", 29),
)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def _signed(label: str, signed_at) -> str:
    if not label:
        return "—"
    return f"{label} (đã ký {_when(signed_at)})" if signed_at else label


def _seals(event: CustodyEvent) -> str:
    text = ", ".join(s for s in event.seals_typed if s) or "—"
    return f"{text} (rách)" if event.seal_broken else text


# The height of a drawn signature in its cell (mm).
SIGNATURE_HEIGHT = 11.0


def _guard(event: CustodyEvent) -> str:
    if not event.guard:
        return ""
    text = f"Áp tải: {event.guard}"
    if event.guard_id_number:
        text += f" (CCCD {masked_id(event.guard_id_number)})"
    return f"{text}, đã ký {_when(event.guard_signed_at)}" if event.guard_signed_at else text


def _drawn(event: CustodyEvent) -> dict[int, bytes]:
    """The drawn signatures of an event, by the column they are printed in."""
    drawn = {}
    if event.taker_signature:
        drawn[6] = bytes(event.taker_signature)
    if event.guard_signature:
        drawn[8] = bytes(event.guard_signature)
    return drawn


def _table(pdf: Form, events: Iterable[CustodyEvent]) -> None:
    pdf.set_font(FAMILY, "B", 8)
    for title, width in COLUMNS:
        pdf.cell(width, 6, title, border=1, align="C")
    pdf.ln()
    pdf.set_font(FAMILY, "", 8)
    for number, event in enumerate(events, start=1):
        cells = (
            str(number),
            event.item.item_number,
            _when(event.at),
            KIND_VI[CustodyEvent.Kind(event.kind)],
            event.place or "—",
            _signed(event.giver_label, event.giver_signed_at),
            _signed(event.taker_label, event.taker_signed_at),
            _seals(event),
            "; ".join(x for x in (_guard(event), event.note) if x) or "",
        )
        drawn = _drawn(event)
        height = max(
            pdf.wrapped_height(text, width - 1, 4) + (SIGNATURE_HEIGHT + 1 if i in drawn else 0)
            for i, (text, (_t, width)) in enumerate(zip(cells, COLUMNS, strict=True))
        )
        if pdf.get_y() + height > pdf.h - pdf.b_margin:
            pdf.add_page()
        y = pdf.get_y()
        x = pdf.l_margin
        for i, (text, (_title, width)) in enumerate(zip(cells, COLUMNS, strict=True)):
            pdf.rect(x, y, width, height)
            pdf.set_xy(x, y)
            pdf.multi_cell(width, 4, text, align="L", new_x="RIGHT", new_y="TOP")
            if i in drawn:
                # At the foot of the cell, as a signature sits under the name in a register.
                pdf.image(
                    io.BytesIO(drawn[i]),
                    x=x + 1,
                    y=y + height - SIGNATURE_HEIGHT - 0.5,
                    h=SIGNATURE_HEIGHT,
                    keep_aspect_ratio=True,
                    w=width - 2,
                )
            x += width
        pdf.set_xy(pdf.l_margin, y + height)


def item_book(item: Item) -> bytes:
    pdf = Form(format="A4", orientation="landscape", title=f"Sổ giao nhận {item.item_number}")
    pdf.heading("SỔ GIAO NHẬN TÀI LIỆU MẬT")
    pdf.field("Số hiệu bưu gửi:", item.item_number)
    pdf.field("Độ mật / dấu:", f"{LEVEL_VI[Level(item.level)]} — dấu {item.mark}")
    if item.level != Level.TUYET_MAT:
        pdf.field("Cơ quan gửi:", item.sender_body)
    pdf.field("Nơi nhận:", item.addressee_body)
    pdf.field("Bưu cục nhận gửi:", item.point.name)
    pdf.field("Yêu cầu áp tải:", "Có" if item.guard_requested else "Không")
    pdf.ln(2)
    _table(pdf, item.events.select_related("item"))
    return pdf.render()


def day_book(point: ServicePoint, day: date, events: Iterable[CustodyEvent]) -> bytes:
    pdf = Form(format="A4", orientation="landscape", title=f"Sổ giao nhận {day:%d/%m/%Y}")
    pdf.heading("SỔ GIAO NHẬN TÀI LIỆU MẬT")
    pdf.field("Bưu cục:", point.name)
    pdf.field("Ngày:", day.strftime("%d/%m/%Y"))
    pdf.ln(2)
    _table(pdf, events)
    return pdf.render()
