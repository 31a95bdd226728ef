"""What a list may show of an item, by its level (docs/domain.md §10): a list is
read over a shoulder, a page of one item is opened on purpose and audited.

- Mật (C) and Tối mật (B): number, mark, status, sender and addressee bodies (what their
  single envelope carries);
- Tuyệt mật (A): number, mark "A", status and the destination written on the outer
  envelope (the addressee body) — never the sender, never the named person of the inner
  envelope.

Items above the viewer's clearance are not listed at all."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from postgov.statemail.models import RANK, Item, Level


@dataclass(frozen=True)
class Row:
    pk: int
    item_number: str
    mark: str
    status: str
    state: str
    sender: str
    destination: str


def row(item: Item) -> Row:
    return Row(
        pk=item.pk,
        item_number=item.item_number,
        mark=item.mark,
        status=item.get_state_display(),
        state=item.state,
        sender="" if item.level == Level.TUYET_MAT else item.sender_body,
        destination=item.addressee_body,
    )


def within_clearance(queryset: QuerySet[Item], cleared_rank: int) -> QuerySet[Item]:
    return queryset.filter(level__in=[level for level, r in RANK.items() if r <= cleared_rank])


def of_staff(queryset: QuerySet[Item], user_id: int, point_ids) -> QuerySet[Item]:
    """Items accepted at or passed through the user's points, or in their hands."""
    condition = Q(holder_id=user_id) | Q(offered_to_id=user_id)
    if point_ids:
        condition |= Q(point_id__in=point_ids) | Q(events__point_id__in=point_ids)
    return queryset.filter(pk__in=queryset.filter(condition).values("pk"))
