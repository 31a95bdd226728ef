"""A procedure's checklist on one A4 page (or A5, to hand over at the counter), in the
page's language: the documents to bring with a box to tick, the fees, the time limit, and
a QR code back to the procedure's page (what it says may change; the page is always the
version in force)."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from postgov.catalog.models import ProcedureVersion
from postgov.catalog.templatetags.catalog_format import time_limit
from postgov.lib.pdf import FAMILY, Form, vnd

QR_SIZE = 32
PAPERS = ("A4", "A5")
# The same sentence as the procedure's page.
POSTAL_CHARGES = (
    "Postal charges for sending the dossier and returning the result are collected separately."
)
BOX = 4


def file_name(version: ProcedureVersion, paper: str = "A4") -> str:
    suffix = "" if paper == "A4" else f"-{paper.lower()}"
    return f"checklist-{version.procedure.code}-v{version.version}{suffix}.pdf"


def render(version: ProcedureVersion, page_url: str, paper: str = "A4") -> bytes:
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}")
    procedure = version.procedure
    form = Form(format=paper, title=_("Checklist: %(name)s") % {"name": procedure.name})
    width = form.w - form.l_margin - form.r_margin
    top = form.get_y()
    # On A5 the code keeps a size a phone reads from arm's length; the text beside it wraps.
    qr_size = QR_SIZE if paper == "A4" else 28
    form.qr(page_url, form.w - form.r_margin - qr_size, top, qr_size)
    text_width = width - qr_size - 4
    form.set_font(FAMILY, "B", 14)
    form.multi_cell(text_width, 7, _("What to bring"), new_x="LMARGIN", new_y="NEXT")
    form.set_font(FAMILY, "B", 11)
    form.multi_cell(text_width, 5.5, procedure.name, new_x="LMARGIN", new_y="NEXT")
    form.set_font(FAMILY, "", 9)
    form.multi_cell(
        text_width,
        5,
        _("Code %(code)s · version %(version)s, in force from %(day)s")
        % {
            "code": procedure.code,
            "version": version.version,
            "day": date_format(version.effective_from, "d/m/Y"),
        },
        new_x="LMARGIN",
        new_y="NEXT",
    )
    form.set_font(FAMILY, "I", 8)
    form.multi_cell(
        text_width,
        4,
        _("Scan the code for the page of this procedure: %(url)s") % {"url": page_url},
        new_x="LMARGIN",
        new_y="NEXT",
    )
    form.set_y(max(form.get_y(), top + qr_size) + 4)

    form.set_font(FAMILY, "B", 11)
    form.cell(0, 6, _("Documents to hand in"), new_x="LMARGIN", new_y="NEXT")
    form.set_font(FAMILY, "", 10)
    for document in version.documents.all():
        y = form.get_y() + 1
        form.rect(form.l_margin, y, BOX, BOX)
        form.set_xy(form.l_margin + BOX + 3, form.get_y())
        line = f"{document.name} — {document.get_form_display()}, ×{document.quantity}"
        if not document.mandatory:
            line += f" ({_('if applicable')})"
        form.multi_cell(width - BOX - 3, 6, line, new_x="LMARGIN", new_y="NEXT")
        if document.note:
            form.set_font(FAMILY, "I", 8)
            form.set_x(form.l_margin + BOX + 3)
            form.multi_cell(width - BOX - 3, 4, document.note, new_x="LMARGIN", new_y="NEXT")
            form.set_font(FAMILY, "", 10)
        form.ln(1)
    y = form.get_y() + 1
    form.rect(form.l_margin, y, BOX, BOX)
    form.set_x(form.l_margin + BOX + 3)
    form.multi_cell(
        width - BOX - 3,
        6,
        _("Your ID card (căn cước)"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    form.ln(3)

    form.set_font(FAMILY, "B", 11)
    form.cell(0, 6, _("Fees"), new_x="LMARGIN", new_y="NEXT")
    form.set_font(FAMILY, "", 10)
    fees = list(version.fees.all())
    if not fees:
        form.cell(0, 6, _("No fee."), new_x="LMARGIN", new_y="NEXT")
    for fee in fees:
        label = f"{fee.option}: {fee.name}" if fee.option else fee.name
        amount = vnd(fee.amount) if fee.amount else _("Free")
        form.multi_cell(width, 6, f"{label} — {amount}", new_x="LMARGIN", new_y="NEXT")
    form.set_font(FAMILY, "I", 8)
    form.multi_cell(
        width,
        4,
        _(POSTAL_CHARGES),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    form.ln(3)
    form.set_font(FAMILY, "", 10)
    form.field(_("Time limit"), time_limit(version), label_width=45)
    form.field(
        _("Sending by post"), _("Allowed") if version.postal_allowed else _("Not allowed"), 45
    )
    form.field(_("Result"), version.result_type or "—", label_width=45)
    return form.render()
