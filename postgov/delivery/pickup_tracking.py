"""A home-pickup booking on the public tracking page: found by its code with the last four
digits of the phone it was booked with, or by the token of the link in its text messages
(`tracking_links.pickup_token_for`) — the proof the tracking page asks for a dossier — and
behind the same rate limits (`dossiers.tracking.lookup`).

Once proven, the page shows the booking as it is (who will come and when, or that nobody
is assigned yet), its steps, and lets the citizen cancel or move it until the postman sets
out. The forms carry a signed, short-lived proof (`proof_for`) instead of the phone digits,
so the change needs no second lookup and nothing personal goes into an address.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from postgov.audit.models import AuditEvent
from postgov.delivery import actions
from postgov.delivery.forms import MoveForm
from postgov.delivery.models import PickupAttempt, PickupBooking
from postgov.lib.phones import last_digits
from postgov.lib.text import mask_name

BOOKING_PATTERN = re.compile(r"^([A-HJ-NP-Z2-9]{4})-?([A-HJ-NP-Z2-9]{4})$")
PROOF_SALT = "postgov.delivery.pickup.proof"
PROOF_SECONDS = 30 * 60

STEP_LABELS = {
    "pickup.booked": gettext_lazy("Booked"),
    "pickup.assigned": gettext_lazy("Postman assigned"),
    "pickup.moved_by_citizen": gettext_lazy("Moved to another day"),
    "pickup.cancelled_by_citizen": gettext_lazy("Cancelled by you"),
    "pickup.visit_failed": gettext_lazy("The postman could not collect the dossier"),
    "pickup.collected": gettext_lazy("Dossier collected"),
}


@dataclass
class PickupStep:
    at: datetime
    label: str


@dataclass
class PickupTracking:
    """A booking, for the person who proved it is theirs."""

    booking: PickupBooking
    masked_name: str
    postman_name: str
    steps: list[PickupStep] = field(default_factory=list)
    # Why it can no longer be changed ("" when it can).
    change_problem: str = ""
    # Signed, short-lived: lets this visitor cancel or move the booking.
    proof: str = ""
    dossier_code: str = ""
    scope: str = "pickup"

    @property
    def can_change(self) -> bool:
        return not self.change_problem

    @cached_property
    def move_form(self):
        """An empty "move" form for the card (a posted one, with errors, is passed apart)."""
        return MoveForm(booking=self.booking)


def booking_code(text: str) -> str:
    """'abcd efgh', 'ABCDEFGH' -> 'ABCD-EFGH'; "" when it is not a booking code."""
    match = BOOKING_PATTERN.match(re.sub(r"\s+", "", text or "").upper())
    return f"{match[1]}-{match[2]}" if match else ""


def by_code(code: str) -> PickupBooking | None:
    code = booking_code(code)
    if not code:
        return None
    return _bookings().filter(code=code).first()


def find(code: str, phone_last4: str) -> PickupBooking | None:
    """The booking with this code, when these are its phone's last four digits."""
    booking = by_code(code)
    if booking is None or not re.fullmatch(r"\d{4}", phone_last4 or ""):
        return None
    if not hmac.compare_digest(last_digits(booking.phone), phone_last4):
        return None
    return booking


def _bookings():
    return PickupBooking.objects.select_related("service_point", "procedure", "postman", "commune")


def describe(booking: PickupBooking, *, with_proof: bool = True) -> PickupTracking:
    dossier = getattr(booking, "dossier", None)
    return PickupTracking(
        booking=booking,
        masked_name=mask_name(booking.name),
        postman_name=booking.postman.get_full_name() if booking.postman else "",
        steps=timeline(booking),
        change_problem=actions.change_problem(booking),
        proof=proof_for(booking) if with_proof else "",
        dossier_code=(dossier.code or "") if dossier is not None else "",
    )


def timeline(booking: PickupBooking) -> list[PickupStep]:
    """The booking's steps, from the audit trail that records each of them."""
    events = AuditEvent.objects.filter(
        object_type=PickupBooking._meta.label_lower,
        object_id=str(booking.pk),
        action__in=STEP_LABELS,
    ).order_by("seq")
    steps = []
    for event in events:
        label = str(STEP_LABELS[event.action])
        if event.action == "pickup.visit_failed":
            reason = (event.details or {}).get("reason", "")
            if reason in PickupAttempt.Reason.values:
                label = f"{label}: {PickupAttempt.Reason(reason).label}"
        steps.append(PickupStep(at=event.at, label=label))
    return steps


def proof_for(booking: PickupBooking) -> str:
    return signing.dumps({"b": booking.pk}, salt=PROOF_SALT)


def booking_from_proof(token: str) -> PickupBooking | None:
    """The booking of a valid, unexpired proof, else None."""
    if not token or len(token) > 200:
        return None
    try:
        data = signing.loads(token, salt=PROOF_SALT, max_age=PROOF_SECONDS)
    except signing.BadSignature:  # also an expired one
        return None
    if not isinstance(data, dict) or not isinstance(data.get("b"), int):
        return None
    return _bookings().filter(pk=data["b"]).first()


def expired_message() -> str:
    return _("This page has expired. Look your booking up again to change it.")
