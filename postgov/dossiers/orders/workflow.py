"""The steps of a postal order, which state each leads from and to, and the legs the post
answers for (decision 0016). A table, like the dossier's workflow, so the pages, the API
and the tests read the same rules."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from postgov.dossiers.workflow import Leg, Segment


@dataclass(frozen=True)
class Step:
    action: str
    sources: frozenset[str]
    target: str
    label: object
    # What the national portal hears (TrangThaiHoSo), when it hears of this step.
    national_status: int | None = None


# The states as plain strings: the models import this module's segments.
ORDERED, COLLECTED, OUT, HELD = "ordered", "collected", "out_for_delivery", "held"
DELIVERED, RETURNED, CANCELLED = "delivered", "returned", "cancelled"
RECEIVED, IN_TRANSIT, HANDED_OVER = "received", "in_transit", "handed_over"

STEPS: tuple[Step, ...] = (
    Step("order", frozenset({""}), ORDERED, _("Ordered")),
    Step("collect", frozenset({ORDERED}), COLLECTED, _("Collected from the agency")),
    Step("out_for_delivery", frozenset({COLLECTED, HELD}), OUT, _("Out for delivery")),
    Step("delivery_failed", frozenset({OUT}), OUT, _("Delivery attempt failed")),
    Step("hold", frozenset({OUT, COLLECTED}), HELD, _("Held at the post office")),
    Step("deliver", frozenset({OUT, HELD}), DELIVERED, _("Delivered"), national_status=10),
    Step("return", frozenset({OUT, HELD}), RETURNED, _("Returned to the agency")),
    Step("receive_originals", frozenset({ORDERED}), RECEIVED, _("Originals received")),
    Step("dispatch", frozenset({RECEIVED}), IN_TRANSIT, _("On the way to the agency")),
    Step("hand_over", frozenset({IN_TRANSIT}), HANDED_OVER, _("Handed over to the agency")),
    Step("cancel", frozenset({ORDERED}), CANCELLED, _("Cancelled")),
)
BY_ACTION: dict[str, Step] = {step.action: step for step in STEPS}

# The post answers for collecting the result (from the order to the collection at the
# agency), for bringing it to the door, and for carrying originals once handed to it.
ORDER_SEGMENTS: tuple[Segment, ...] = (
    Segment("ord_collect", Leg.POST, frozenset({ORDERED}), 1, _("Post: result collection")),
    Segment("ord_deliver", Leg.POST, frozenset({COLLECTED, OUT}), 2, _("Post: result delivery")),
    Segment("ord_carry", Leg.POST, frozenset({RECEIVED, IN_TRANSIT}), 2, _("Post: originals")),
)
ORDER_SEGMENT_BY_NAME: dict[str, Segment] = {seg.name: seg for seg in ORDER_SEGMENTS}


def order_segment_of(state: str) -> Segment | None:
    for segment in ORDER_SEGMENTS:
        if state in segment.states:
            return segment
    return None


FINAL_STATES = frozenset({DELIVERED, RETURNED, HANDED_OVER, CANCELLED})
ACTIVE_STATES = frozenset({ORDERED, COLLECTED, OUT, HELD, RECEIVED, IN_TRANSIT})
