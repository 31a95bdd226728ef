"""Public tracking: a dossier found by its postal item number (S10, printed on the label
and the receipt), or by its dossier code together with the last four digits of the
applicant's phone. The answer carries a masked name and no other personal data.

Both lookups are rate-limited per client address; guesses of the four digits are also
limited per dossier code, so 10,000 combinations cannot be tried. A wrong code and wrong
digits get the same answer.

Once the dossier was handed over, a lookup by code and digits (not by the item number
alone, which is printed on the envelope) also offers Form 01, the receipt and appointment
slip, through a signed token that expires (`FORM_TOKEN_SECONDS`) and is sent by POST, so
neither the dossier nor the person appears in an address.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from postgov.agencies.calendar import calendar_for
from postgov.delivery.models import PostalItem
from postgov.dossiers.intake import OUTBOUND_STATES, post_days
from postgov.dossiers.models import Dossier, DossierEvent
from postgov.dossiers.workflow import BY_ACTION, STATES, State
from postgov.lib import ratelimit, s10
from postgov.lib.phones import last_digits
from postgov.lib.text import mask_name

# Guesses of the phone digits allowed per dossier code and hour.
DIGIT_GUESSES_PER_HOUR = 10
CODE_PATTERN = re.compile(r"^[0-9A-Z.]{3,30}-\d{6}-\d{4,}$")
FORM_SALT = "postgov.dossiers.tracking.form01"
FORM_TOKEN_SECONDS = 15 * 60


class TrackingLimited(Exception):
    """Too many lookups: come back later."""


@dataclass
class Step:
    at: datetime
    code: str
    label: str
    place: str


@dataclass
class Tracking:
    code: str
    items: list[str]
    masked_name: str
    procedure: str
    agency: str
    status: str
    status_label: str
    national_status: int | None
    final: bool
    steps: list[Step] = field(default_factory=list)
    expected_handover: datetime | None = None
    due_at: datetime | None = None
    expected_return_at: datetime | None = None
    # Signed, short-lived: lets this visitor download Form 01 (see `form_token`).
    form_token: str = ""


def normalise(text: str) -> str:
    return re.sub(r"\s+", "", text or "").upper()[:40]


def _tracked() -> object:
    return Dossier.objects.exclude(status__in=(State.DRAFT, State.CANCELLED)).select_related(
        "procedure_version__procedure", "agency", "receiving_point"
    )


def find(code: str, phone_last4: str = "") -> Dossier | None:
    """The dossier for this S10 item number, or this dossier code with these digits."""
    code = normalise(code)
    if s10.is_valid(code):
        item = PostalItem.objects.filter(item_id=code).only("dossier_id").first()
        return _tracked().filter(pk=item.dossier_id).first() if item else None
    if not CODE_PATTERN.match(code) or not re.fullmatch(r"\d{4}", phone_last4 or ""):
        return None
    dossier = _tracked().filter(code=code).first()
    if dossier is None:
        return None
    if not hmac.compare_digest(last_digits(dossier.applicant_phone), phone_last4):
        return None
    return dossier


def lookup(code: str, phone_last4: str, client: str) -> Tracking | None:
    """`find` behind the rate limits; raises TrackingLimited."""
    if not ratelimit.hit("track", client, settings.TRACK_LIMIT_PER_MINUTE, 60):
        raise TrackingLimited
    code = normalise(code)
    guessing = not s10.is_valid(code) and phone_last4
    if guessing and not ratelimit.hit("track-digits", code, DIGIT_GUESSES_PER_HOUR, 3600):
        raise TrackingLimited
    dossier = find(code, phone_last4)
    if dossier is None:
        return None
    tracking = describe(dossier)
    if guessing:  # the code and the phone digits matched: the applicant, most likely
        tracking.form_token = form_token(dossier)
    return tracking


def _hand_over_event(dossier: Dossier) -> DossierEvent | None:
    return dossier.events.filter(action="hand_over").order_by("-at", "-id").first()


def form_token(dossier: Dossier) -> str:
    """A token for Form 01 of the dossier's hand-over, or "" before the hand-over."""
    event = _hand_over_event(dossier)
    if event is None:
        return ""
    return signing.dumps({"d": dossier.pk, "e": event.pk}, salt=FORM_SALT)


def form_from_token(token: str) -> tuple[Dossier, DossierEvent] | None:
    """The dossier and hand-over event of a valid, unexpired token, else None."""
    if not token or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=FORM_SALT, max_age=FORM_TOKEN_SECONDS)
    except signing.BadSignature:  # also an expired one (SignatureExpired)
        return None
    if not isinstance(data, dict):
        return None
    dossier = _tracked().filter(pk=data.get("d")).first()
    if dossier is None:
        return None
    event = dossier.events.filter(pk=data.get("e"), action="hand_over").first()
    return (dossier, event) if event is not None else None


def needs_digits(code: str) -> bool:
    return not s10.is_valid(normalise(code))


def describe(dossier: Dossier) -> Tracking:
    steps = []
    events = dossier.events.select_related("service_point", "agency").order_by("at", "id")
    for event in events:
        step = BY_ACTION.get(event.action)
        place = event.service_point or event.agency
        steps.append(
            Step(
                at=event.at,
                code=event.code,
                label=str(step.label) if step else event.code,
                place=place.name if place else "",
            )
        )
    expected_handover = None
    if dossier.status in (State.SEALED, State.IN_TRANSIT) and dossier.agency_id:
        expected_handover = calendar_for(dossier.agency).due_in_working_days(
            dossier.sealed_at, post_days(OUTBOUND_STATES), after_15h_next_day=False
        )
    info = STATES[dossier.status]
    return Tracking(
        code=dossier.code or "",
        items=list(dossier.items.order_by("created_at").values_list("item_id", flat=True)),
        masked_name=mask_name(dossier.applicant_name),
        procedure=dossier.procedure_version.procedure.name,
        agency=dossier.agency.name if dossier.agency_id else "",
        status=dossier.status,
        status_label=str(State(dossier.status).label),
        national_status=info.national_status,
        final=info.final,
        steps=steps,
        expected_handover=expected_handover,
        due_at=dossier.due_at,
        expected_return_at=dossier.expected_return_at,
    )


def not_found_message() -> str:
    return _(
        "No dossier matches. Check the code; with a dossier code, give the last 4 digits of "
        "the phone number registered at the counter."
    )
