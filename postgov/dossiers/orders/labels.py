"""The label of a postal order's item (decision 0016): the counter's label page, filled
from the order. It shows what a dossier's label shows — the parties, the dossier code,
weight, date and procedure — and nothing more: no phone beyond the recipient's line, no
ID digits, no money to collect. Its QR code opens the tracking page on the item number,
which shows the postal steps only (an order has no tracking token)."""

from __future__ import annotations

from django.utils import timezone

from postgov.delivery.models import PostalItem
from postgov.dossiers.intake.printing import (
    TITLES,
    Party,
    Printer,
    agency_party,
    point_party,
)
from postgov.dossiers.orders.models import OrderKind, PostalOrder
from postgov.lib import tracking_links
from postgov.places.addresses import one_line
from postgov.places.postal_codes import postal_code_of_commune


def recipient_party(order: PostalOrder) -> Party:
    return Party(
        name=f"{order.recipient_name} — {order.recipient_phone}",
        address=one_line(order.address, order.commune),
        postal_code=postal_code_of_commune(order.commune),
    )


def parties(order: PostalOrder) -> tuple[Party, Party]:
    """(sender, recipient): the agency to the citizen for a result; the post office that
    collected the originals to the agency for originals."""
    if order.kind == OrderKind.RESULT_DELIVERY:
        return agency_party(order.agency), recipient_party(order)
    return point_party(order.service_point), agency_party(order.agency)


def order_item_label(item: PostalItem) -> bytes:
    """The PDF label of one postal order's item."""
    if item.order_id is None:
        raise ValueError("not a postal order's item")
    order = PostalOrder.objects.select_related(
        "agency__commune__province",
        "agency__province",
        "commune__province",
        "procedure",
        "service_point__commune__province",
    ).get(pk=item.order_id)
    sender, recipient = parties(order)
    facts = (
        ("Mã hồ sơ:", order.portal_code),
        ("Mã đơn:", order.code),
        ("Khối lượng:", f"{item.weight_g} g"),
        ("Ngày gửi:", timezone.localtime(order.created_at).strftime("%d/%m/%Y")),
        ("Thủ tục:", order.procedure.name),
    )
    printer = Printer(f"{TITLES['label']} {item.item_id}")
    printer.parcel_label(item, sender, recipient, tracking_links.tracking_url(item.item_id), facts)
    return printer.render()
