"""Reconciliation (đối soát) of one agency over a period: the procedure fees the post
collected for it against what the agency confirmed receiving at the hand-overs, and the
postal charges the post earned, per post office; discrepancies listed one by one.

A dossier belongs to the period by the day its fees were paid at the counter.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from postgov.dossiers.models import Dossier
from postgov.dossiers.orders.models import PostalOrder
from postgov.dossiers.workflow import State
from postgov.lib.workingtime import VIETNAM

if TYPE_CHECKING:
    from postgov.agencies.models import Agency

NEVER_SENT = (State.DRAFT, State.CANCELLED)


@dataclass
class PointLine:
    point: str
    dossiers: int = 0
    collected: int = 0
    handed_over: int = 0
    in_transit: int = 0
    postal_charges: int = 0
    # Postal orders of dossiers filed online (decision 0016): the money the postman
    # collected on delivery for the agency.
    orders: int = 0
    on_delivery: int = 0

    @property
    def difference(self) -> int:
        """Collected but neither handed over nor still on its way: money to explain."""
        return self.collected - self.handed_over - self.in_transit


@dataclass
class Discrepancy:
    dossier: Dossier
    kind: str
    expected: int
    found: int
    note: str = ""


@dataclass
class Reconciliation:
    agency: Agency
    date_from: date
    date_to: date
    lines: list[PointLine] = field(default_factory=list)
    discrepancies: list[Discrepancy] = field(default_factory=list)
    dossiers: list[Dossier] = field(default_factory=list)

    @property
    def total(self) -> PointLine:
        total = PointLine(_("Total"))
        for line in self.lines:
            total.dossiers += line.dossiers
            total.collected += line.collected
            total.handed_over += line.handed_over
            total.in_transit += line.in_transit
            total.postal_charges += line.postal_charges
            total.orders += line.orders
            total.on_delivery += line.on_delivery
        return total


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    start = datetime.combine(date_from, time.min, tzinfo=VIETNAM)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=VIETNAM)
    return start, end


def reconcile(
    agency, date_from: date, date_to: date, dossiers: QuerySet, orders: QuerySet | None = None
) -> Reconciliation:
    """`dossiers` and `orders` are what the person may see (their points, agency or
    province). A postal order counts on the day its money was collected on delivery."""
    start, end = period_bounds(date_from, date_to)
    rows = list(
        dossiers.filter(agency=agency, paid_at__gte=start, paid_at__lt=end)
        .exclude(status__in=NEVER_SENT)
        .select_related("receiving_point", "procedure_version__procedure")
        .order_by("receiving_point__name", "code")
    )
    result = Reconciliation(agency, date_from, date_to, dossiers=rows)
    by_point: dict[str, PointLine] = {}
    for dossier in rows:
        line = by_point.setdefault(
            dossier.receiving_point.name, PointLine(dossier.receiving_point.name)
        )
        line.dossiers += 1
        line.collected += dossier.procedure_fee
        line.postal_charges += dossier.postage_out + dossier.postage_back + dossier.remittance_fee
        if dossier.submitted_at is None:
            line.in_transit += dossier.procedure_fee
            if dossier.sealed_at and timezone.now() - dossier.sealed_at > timedelta(days=7):
                result.discrepancies.append(
                    Discrepancy(
                        dossier,
                        _("not handed over after 7 days"),
                        dossier.procedure_fee,
                        0,
                    )
                )
        else:
            line.handed_over += dossier.fees_handed_over
            if dossier.fees_handed_over != dossier.procedure_fee:
                result.discrepancies.append(
                    Discrepancy(
                        dossier,
                        _("fee handed over differs"),
                        dossier.procedure_fee,
                        dossier.fees_handed_over,
                    )
                )
    for order in (
        (orders if orders is not None else PostalOrder.objects.none())
        .filter(agency=agency, cod_collected_at__gte=start, cod_collected_at__lt=end)
        .select_related("service_point")
        .order_by("service_point__name", "code")
    ):
        name = order.service_point.name
        line = by_point.setdefault(name, PointLine(name))
        line.orders += 1
        line.on_delivery += order.cod_collected
    result.lines = list(by_point.values())
    return result


# -- exports ---------------------------------------------------------------------------------


def _cell(value):
    """Spreadsheets run cells starting with = + - @ as formulas: defuse them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def _dossier_row(dossier: Dossier, problem: str) -> list:
    return [
        dossier.code,
        dossier.receiving_point.name,
        dossier.procedure_version.procedure.name,
        dossier.receipt_number,
        _local(dossier.paid_at),
        _local(dossier.submitted_at),
        dossier.procedure_fee,
        dossier.fees_handed_over if dossier.submitted_at else 0,
        dossier.postage_out + dossier.postage_back + dossier.remittance_fee,
        problem,
    ]


def dossier_headers() -> list[str]:
    return [
        _("Dossier"),
        _("Post office"),
        _("Procedure"),
        _("Receipt"),
        _("Paid at"),
        _("Handed over at"),
        _("Fee collected"),
        _("Fee handed over"),
        _("Postal charges"),
        _("Discrepancy"),
    ]


def point_headers() -> list[str]:
    return [
        _("Post office"),
        _("Dossiers"),
        _("Fees collected"),
        _("Handed over"),
        _("Still in transit"),
        _("Difference"),
        _("Postal charges earned"),
        _("Postal orders"),
        _("Collected on delivery"),
    ]


def _point_row(line: PointLine) -> list:
    return [
        line.point,
        line.dossiers,
        line.collected,
        line.handed_over,
        line.in_transit,
        line.difference,
        line.postal_charges,
        line.orders,
        line.on_delivery,
    ]


def to_csv(result: Reconciliation) -> bytes:
    """One line per dossier, the discrepancy (if any) in the last column; UTF-8 with BOM
    so that spreadsheet programs read the Vietnamese correctly."""
    problems = {d.dossier.pk: d.kind for d in result.discrepancies}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(dossier_headers())
    for dossier in result.dossiers:
        writer.writerow([_cell(v) for v in _dossier_row(dossier, problems.get(dossier.pk, ""))])
    return ("\ufeff" + buffer.getvalue()).encode()


def to_xlsx(result: Reconciliation) -> bytes:
    workbook = Workbook()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE6F0")
    summary = workbook.active
    summary.title = _("By post office")[:31]
    summary.append([_("Agency"), result.agency.name])
    summary.append([_("Period"), f"{result.date_from:%d/%m/%Y} – {result.date_to:%d/%m/%Y}"])
    summary.append([])
    summary.append(point_headers())
    for cell in summary[4]:
        cell.font, cell.fill = bold, fill
    for line in result.lines:
        summary.append([_cell(v) for v in _point_row(line)])
    summary.append([_cell(v) for v in _point_row(result.total)])
    for cell in summary[summary.max_row]:
        cell.font = bold
    detail = workbook.create_sheet(_("Dossiers")[:31])
    problems = {d.dossier.pk: d.kind for d in result.discrepancies}
    detail.append(dossier_headers())
    for cell in detail[1]:
        cell.font, cell.fill = bold, fill
    for dossier in result.dossiers:
        detail.append([_cell(v) for v in _dossier_row(dossier, problems.get(dossier.pk, ""))])
    gaps = workbook.create_sheet(_("Discrepancies")[:31])
    gaps.append([_("Dossier"), _("Post office"), _("Problem"), _("Expected"), _("Found")])
    for cell in gaps[1]:
        cell.font, cell.fill = bold, fill
    for item in result.discrepancies:
        gaps.append(
            [
                _cell(item.dossier.code),
                _cell(item.dossier.receiving_point.name),
                _cell(str(item.kind)),
                item.expected,
                item.found,
            ]
        )
    for sheet in (summary, detail, gaps):
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
