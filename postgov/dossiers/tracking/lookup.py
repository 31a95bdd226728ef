"""Public tracking: where a postal item is, and for the citizen, their whole dossier.

- The **postal item number** (S10) alone shows only the item's postal status, as any
  parcel tracker does: accepted, in transit, delivered, with the post offices on the
  way. S10 numbers are sequential with a public check digit, so anyone can walk through
  them; none of them tells the procedure, the agency, the dossier code or the name.
- The **dossier** (procedure, agency, masked name, timeline, expected dates) needs the
  dossier code with the last four digits of the applicant's phone, or the tracking token
  (`tracking_links`) the label's QR code and the citizen's messages carry.
- A **home-pickup booking** needs the same proof: its code with the last four digits of
  the phone it was booked with, or the token of its SMS link (`delivery.pickup_tracking`).

Limits, all in the shared cache, per client (`netkeys.network_key`: an IPv6 /64 is one
client): lookups per minute; guesses of the four digits per dossier code, so 10,000
combinations cannot be tried; and a global anomaly limit. When the whole system sees more
failed lookups in a minute than `TRACK_ANOMALY_MISSES_PER_MINUTE` (guessing, most likely
spread over many addresses), a client that has already failed
`TRACK_ANOMALY_MISSES_PER_CLIENT` times in ten minutes waits until those ten minutes are
over. A citizen who looks up their own dossier without a mistake, or who comes with the
token, is never held up by it. A wrong code and wrong digits get the same answer.

Once the dossier was handed over, a lookup by code and digits (not by the item number,
printed on the envelope, nor by the token, printed on the label) also offers Form 01, the
receipt and appointment slip, through a signed token that expires
(`FORM_TOKEN_SECONDS`) and is sent by POST, so neither the dossier nor the person appears
in an address.
"""

from __future__ import annotations

import functools
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from django.conf import settings
from django.core import signing
from django.db import connections, models, router
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeString
from django.utils.timezone import get_current_timezone, localtime
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from postgov.agencies.calendar import calendar_for
from postgov.agencies.models import Agency
from postgov.catalog.models import Procedure, ProcedureVersion
from postgov.delivery import pickup_tracking
from postgov.delivery.models import PostalItem
from postgov.dossiers.actions import note_tracking_anomaly
from postgov.dossiers.intake.sealing import OUTBOUND_STATES, post_days
from postgov.dossiers.linked.models import LinkedDossier
from postgov.dossiers.linked.queries import rollup
from postgov.dossiers.models import Dossier, DossierEvent
from postgov.dossiers.orders.models import OrderEvent
from postgov.dossiers.tracking import card as cards
from postgov.dossiers.workflow import BY_ACTION, STATES, State
from postgov.lib import ratelimit, s10, shared_redis, tracking_links
from postgov.lib.netkeys import network_key
from postgov.lib.phones import last_digits
from postgov.lib.text import mask_name
from postgov.places.models import ServicePoint

logger = logging.getLogger(__name__)

# Guesses of the phone digits allowed per dossier code and hour.
DIGIT_GUESSES_PER_HOUR = 10
CODE_PATTERN = re.compile(r"^[0-9A-Z.]{3,30}-\d{6}-\d{4,}$")
FORM_SALT = "postgov.dossiers.tracking.lookup.form01"
FORM_TOKEN_SECONDS = 15 * 60
# The window in which a client's failed lookups are counted for the anomaly limit.
ANOMALY_WINDOW_SECONDS = 10 * 60
ALL_CLIENTS = "*"
# A dossier's timeline as the public sees it (steps, postal items, its hand-over), kept in
# the shared cache under the dossier's id and its latest event: any new event makes a new
# key, so no lookup shows a timeline older than the dossier. The key holds no personal
# data, and the cache is read only after the caller passed the rate limits and proved the
# code with the phone's digits or the token. A renamed post office appears under its new
# name in the timelines read after the rename, within this time at most.
TIMELINE_SECONDS = 60 * 60


class TrackingLimited(Exception):
    """Too many lookups: come back in `retry_after` seconds. `reason`: "client" (this
    connection's lookups per minute), "code" (digit guesses for this dossier code) or
    "anomaly" (failed lookups while the whole system is being probed)."""

    def __init__(self, reason: str, retry_after: int):
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


@dataclass
class Step:
    at: datetime
    code: str
    label: str
    place: str

    @property
    def shown_at(self) -> str:
        """`at` in the current time zone as the card shows it, what the template's
        `|date:"H:i, d/m/Y"` gives (tested equal) without the filter's look-up of the
        format in the format modules at each step: most of a card's rendering."""
        return self.shown_in(get_current_timezone())

    def shown_in(self, zone: tzinfo) -> str:
        """`shown_at` in `zone`: a card asks for the current zone once, not per step."""
        at = localtime(self.at, zone)
        return f"{at.hour:02d}:{at.minute:02d}, {at.day:02d}/{at.month:02d}/{at.year:04d}"


@dataclass
class Tracking:
    """The dossier, for the citizen (code and digits, or the token)."""

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
    scope: str = "dossier"
    # The card as the lookup kept it, with the marks of the tokens (`card`): for the page
    # only (`lookup(page=True)`), which then leaves the timeline out where it was kept.
    kept_card: str = field(default="", repr=False, compare=False)

    @property
    def timeline_html(self) -> SafeString:
        """The card's timeline items (`card.timeline_html`)."""
        return cards.timeline_html(self.steps)


@dataclass
class PartTracking:
    step: int
    procedure: str
    agency: str
    status: str
    status_label: str
    due_at: datetime | None
    overdue: bool


@dataclass
class PackageTracking:
    """A linked package, for the citizen (its code and the phone's digits): the roll-up
    and each part's state and deadline, nothing they typed."""

    code: str
    masked_name: str
    name: str
    state: str
    state_label: str
    due_at: datetime | None
    parts: list[PartTracking] = field(default_factory=list)
    scope: str = "package"


# `LK.<point>-YYMMDD-NNNN` (dossiers.linked.actions).
PACKAGE_CODE = re.compile(r"^LK\.[0-9A-Z.]{1,27}-\d{6}-\d{4,}$")


def find_package(code: str, phone_last4: str) -> LinkedDossier | None:
    package = LinkedDossier.objects.filter(code=code).select_related("linked_procedure").first()
    if package is None or not re.fullmatch(r"\d{4}", phone_last4 or ""):
        return None
    if not hmac.compare_digest(last_digits(package.applicant_phone), phone_last4):
        return None
    return package


def describe_package(package: LinkedDossier) -> PackageTracking:
    view = rollup(package)
    return PackageTracking(
        code=package.code,
        masked_name=mask_name(package.applicant_name),
        name=package.linked_procedure.name,
        state=view.state,
        state_label=view.state_label,
        due_at=view.due_at,
        parts=[
            PartTracking(
                step=p.step,
                procedure=p.procedure,
                agency=p.agency,
                status=p.status,
                status_label=p.status_label,
                due_at=p.due_at,
                overdue=p.overdue,
            )
            for p in view.parts
        ],
    )


class PostalState(models.TextChoices):
    """Where a postal item is, in a parcel tracker's words."""

    NOT_POSTED = "not_posted", gettext_lazy("Not yet handed to the post")
    ACCEPTED = "accepted", gettext_lazy("Accepted at the post office")
    IN_TRANSIT = "in_transit", gettext_lazy("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", gettext_lazy("Out for delivery")
    ATTEMPT_FAILED = "attempt_failed", gettext_lazy("Delivery attempt failed")
    HELD = "held", gettext_lazy("Waiting at the post office for collection")
    DELIVERED = "delivered", gettext_lazy("Delivered")
    RETURNED = "returned", gettext_lazy("Returned to the sender")


# Which of the dossier's steps move each kind of item, and to what postal state. The
# agency's own steps (accepting, deciding, asking for supplements) are not postal.
POSTAL_STEPS: dict[str, dict[str, PostalState]] = {
    PostalItem.Leg.OUTBOUND: {
        "seal": PostalState.ACCEPTED,
        "dispatch": PostalState.IN_TRANSIT,
        "hand_over": PostalState.DELIVERED,
    },
    PostalItem.Leg.SUPPLEMENT: {
        "seal_supplement": PostalState.ACCEPTED,
        "dispatch_supplement": PostalState.IN_TRANSIT,
        "supplement_received": PostalState.DELIVERED,
    },
    PostalItem.Leg.RETURN: {
        "collect_result": PostalState.ACCEPTED,
        "out_for_delivery": PostalState.OUT_FOR_DELIVERY,
        "delivery_failed": PostalState.ATTEMPT_FAILED,
        "hold_at_office": PostalState.HELD,
        "deliver": PostalState.DELIVERED,
        "return_to_agency": PostalState.RETURNED,
    },
}
# A postal order's item (decision 0016) moves with the order's steps.
ORDER_POSTAL_STEPS: dict[str, dict[str, PostalState]] = {
    PostalItem.Leg.OUTBOUND: {
        "receive_originals": PostalState.ACCEPTED,
        "dispatch": PostalState.IN_TRANSIT,
        "hand_over": PostalState.DELIVERED,
    },
    PostalItem.Leg.RETURN: {
        "collect": PostalState.ACCEPTED,
        "out_for_delivery": PostalState.OUT_FOR_DELIVERY,
        "delivery_failed": PostalState.ATTEMPT_FAILED,
        "hold": PostalState.HELD,
        "deliver": PostalState.DELIVERED,
        "return": PostalState.RETURNED,
    },
}
ORDER_CODE = re.compile(r"^DH[A-Z0-9]{8}$")
FINAL_POSTAL = frozenset({PostalState.DELIVERED, PostalState.RETURNED})
# Steps at a post office name it (the origin office, the office holding the item); the
# item's addressee or sender is an agency or a citizen and is never named.
PLACED_POSTAL = frozenset(
    {
        PostalState.ACCEPTED,
        PostalState.IN_TRANSIT,
        PostalState.OUT_FOR_DELIVERY,
        PostalState.ATTEMPT_FAILED,
        PostalState.HELD,
    }
)


@dataclass
class PostalStep:
    at: datetime
    status: str
    label: str
    place: str


@dataclass
class PostalStatus:
    """One postal item, for anyone holding its number."""

    item: str
    status: str
    status_label: str
    final: bool
    steps: list[PostalStep] = field(default_factory=list)
    scope: str = "postal"


def normalise(text: str) -> str:
    return re.sub(r"\s+", "", text or "").upper()[:40]


def tracked_dossiers() -> models.QuerySet[Dossier]:
    """Dossiers a citizen may follow (sealed or later), with what `describe` reads."""
    return _tracked()


def _tracked() -> models.QuerySet[Dossier]:
    # Practice work is never found by the public (decision 0019).
    return (
        Dossier.objects.exclude(status__in=(State.DRAFT, State.CANCELLED))
        .filter(practice=False)
        .select_related("procedure_version__procedure", "agency", "receiving_point")
    )


@dataclass
class _Found:
    """What the citizen is shown of a dossier, read in one statement (`_read_found`) or
    taken from a dossier already loaded (`of`)."""

    pk: int
    code: str
    status: str
    applicant_name: str
    applicant_phone: str
    sealed_at: datetime | None
    due_at: datetime | None
    expected_return_at: datetime | None
    procedure: str
    agency: Agency | None  # with the name, province and office hours only
    # The id of the latest event: the key of the cached timeline (None: not cached).
    timeline_version: int | None = None

    @classmethod
    def of(cls, dossier: Dossier) -> _Found:
        return cls(
            pk=dossier.pk,
            code=dossier.code or "",
            status=dossier.status,
            applicant_name=dossier.applicant_name,
            applicant_phone=dossier.applicant_phone,
            sealed_at=dossier.sealed_at,
            due_at=dossier.due_at,
            expected_return_at=dossier.expected_return_at,
            procedure=dossier.procedure_version.procedure.name,
            agency=dossier.agency,
        )


def _aware(value):
    """A datetime as the ORM gives it: SQLite hands raw statements naive UTC datetimes, or
    text where a column has no declared type (in a UNION)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


@functools.cache
def _found_sql(where: str) -> str:
    # Written out rather than compiled by the ORM at each lookup: compiling the joined
    # query cost more CPU than everything else the lookup does. The same rows as
    # `_tracked()` (tested against it), the latest event's id by the timeline index, and
    # only the dozen columns the page shows.
    return f"""
        SELECT d.id, d.code, d.status, d.applicant_name, d.applicant_phone, d.sealed_at,
               d.due_at, d.expected_return_at, p.name, a.id, a.name, a.province_id,
               a.office_hours,
               (SELECT e.id FROM {DossierEvent._meta.db_table} e
                 WHERE e.dossier_id = d.id ORDER BY e.id DESC LIMIT 1)
          FROM {Dossier._meta.db_table} d
          JOIN {ProcedureVersion._meta.db_table} v ON v.id = d.procedure_version_id
          JOIN {Procedure._meta.db_table} p ON p.id = v.procedure_id
          LEFT JOIN {Agency._meta.db_table} a ON a.id = d.agency_id
         WHERE {where} AND d.status NOT IN (%s, %s) AND NOT d.practice
    """  # noqa: S608 - table names from the models, values as parameters


def _read_found(where: str, value: str) -> _Found | None:
    alias = router.db_for_read(Dossier)
    with connections[alias].cursor() as cursor:
        cursor.execute(_found_sql(where), [value, State.DRAFT.value, State.CANCELLED.value])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, code, status, name, phone, sealed_at, due_at, expected_return_at, procedure = row[:9]
    agency_id, agency_name, province_id, office_hours, version = row[9:]
    agency = None
    if agency_id is not None:
        if isinstance(office_hours, str):  # JSON as the database driver gives it
            office_hours = json.loads(office_hours)
        agency = Agency(
            pk=agency_id, name=agency_name, province_id=province_id, office_hours=office_hours
        )
    return _Found(
        pk=pk,
        code=code or "",
        status=status,
        applicant_name=name,
        applicant_phone=phone,
        sealed_at=_aware(sealed_at),
        due_at=_aware(due_at),
        expected_return_at=_aware(expected_return_at),
        procedure=procedure,
        agency=agency,
        timeline_version=version,
    )


def _item(code: str) -> PostalItem | None:
    return (
        PostalItem.objects.filter(item_id=code)
        .exclude(dossier__status__in=(State.DRAFT, State.CANCELLED))
        .first()
    )


def _by_code(code: str) -> _Found | None:
    """The dossier named by an item number or a dossier code (no proof asked)."""
    if s10.is_valid(code):
        return _read_found(
            f"d.id = (SELECT i.dossier_id FROM {PostalItem._meta.db_table} i"  # noqa: S608
            " WHERE i.item_id = %s)",
            code,
        )
    if not CODE_PATTERN.match(code):
        return None
    return _read_found("d.code = %s", code)


def find(code: str, phone_last4: str) -> _Found | None:
    """The dossier with this dossier code, when these are its phone's last four digits."""
    code = normalise(code)
    if not CODE_PATTERN.match(code) or not re.fullmatch(r"\d{4}", phone_last4 or ""):
        return None
    dossier = _read_found("d.code = %s", code)
    if dossier is None:
        return None
    if not hmac.compare_digest(last_digits(dossier.applicant_phone), phone_last4):
        return None
    return dossier


def lookup(
    code: str, phone_last4: str, client: str, *, token: str = "", page: bool = False
) -> Tracking | PackageTracking | PostalStatus | pickup_tracking.PickupTracking | None:
    """What this lookup may see, behind the rate limits (raises TrackingLimited):
    the dossier (or the home-pickup booking) for a valid token or for its code with the
    right digits, the postal status for an item number alone, else None. With `page`, a
    dossier comes with its card (`Tracking.kept_card`), and without its steps and items
    where the card was kept: the tracking page shows the card alone."""
    client = network_key(client) or "unknown"
    code = normalise(code)
    booking_code = pickup_tracking.booking_code(code)
    # The code whose digit guesses are counted: a dossier, package or booking code with
    # digits given (an item number or a postal order's code shows no more with them).
    digits_key = (
        (booking_code or code)
        if phone_last4 and not s10.is_valid(code) and not ORDER_CODE.match(code)
        else None
    )
    if token:
        if not ratelimit.hit("track", client, settings.TRACK_LIMIT_PER_MINUTE, 60):
            raise TrackingLimited("client", ratelimit.seconds_left(60))
        if booking_code:
            booking = pickup_tracking.by_code(booking_code)
            if booking is not None and tracking_links.pickup_token_matches(booking.pk, token):
                return pickup_tracking.describe(booking)
        else:
            found = _by_code(code)
            if found is not None and tracking_links.token_matches(found.pk, token):
                return _describe(found, page=page, offers_form=False)[0]
        # A wrong token is a failed lookup; the code alone still gives what it gives.
        _missed(client)
        _hold_back_during_anomaly(client)
        if digits_key and not ratelimit.hit(
            "track-digits", digits_key, DIGIT_GUESSES_PER_HOUR, 3600
        ):
            raise TrackingLimited("code", ratelimit.seconds_left(3600))
    else:
        _check_limits(client, digits_key)
    if s10.is_valid(code):
        item = _item(code)
        if item is None:
            _missed(client)
            return None
        return postal_status(item)
    if ORDER_CODE.match(code):
        # A postal order's code shows its item's postal steps, as the item's number does.
        order_item = PostalItem.objects.filter(order__code=code).order_by("-id").first()
        if order_item is None:
            _missed(client)
            return None
        return postal_status(order_item)
    if not phone_last4:  # a code alone guesses nothing and shows nothing
        return None
    if booking_code:
        booking = pickup_tracking.find(booking_code, phone_last4)
        if booking is None:
            _missed(client)
            return None
        return pickup_tracking.describe(booking)
    if PACKAGE_CODE.match(code):
        package = find_package(code, phone_last4)
        if package is None:
            _missed(client)
            return None
        return describe_package(package)
    dossier = find(code, phone_last4)
    if dossier is None:
        _missed(client)
        return None
    tracking, hand_over = _describe(dossier, page=page, offers_form=True)
    # The code and the phone digits matched: the applicant, most likely.
    tracking.form_token = _form_token(dossier.pk, hand_over)
    return tracking


# The limits of a lookup without a token, in their order, in one round trip to Redis
# (`_check_limits`): count the lookup for its client and stop at the client's limit; if
# the client failed often enough, stop while the whole system is over the anomaly limit
# (this minute or the last); count the guess of the digits for the code and stop at its
# limit. 0: through, 1: the client's limit, 2: the anomaly brake, 3: the code's limit.
# Counters written by INCR are plain integers, as Django's Redis cache stores them.
LIMITS_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2], 'NX')
if n > tonumber(ARGV[1]) then return 1 end
if (tonumber(redis.call('GET', KEYS[2])) or 0) >= tonumber(ARGV[3]) then
  local limit = tonumber(ARGV[4])
  if (tonumber(redis.call('GET', KEYS[3])) or 0) > limit
     or (tonumber(redis.call('GET', KEYS[4])) or 0) > limit then
    return 2
  end
end
if #KEYS < 5 then return 0 end
local guesses = redis.call('INCR', KEYS[5])
redis.call('EXPIRE', KEYS[5], ARGV[6], 'NX')
if guesses > tonumber(ARGV[5]) then return 3 end
return 0
"""


@functools.cache
def _limits_script(server):
    # redis-py sends the script's SHA1 (EVALSHA) and loads it once where the server
    # does not know it yet.
    return server.register_script(LIMITS_SCRIPT)


def _check_limits(client: str, digits_key: str | None) -> None:
    """The lookup's limits in order (per client, the anomaly brake, the digit guesses per
    code when `digits_key` is given): one round trip where the shared cache is Redis,
    otherwise through the cache's API. Raises TrackingLimited."""
    server = shared_redis.server()
    if server is None:
        if not ratelimit.hit("track", client, settings.TRACK_LIMIT_PER_MINUTE, 60):
            raise TrackingLimited("client", ratelimit.seconds_left(60))
        _hold_back_during_anomaly(client)
        if digits_key and not ratelimit.hit(
            "track-digits", digits_key, DIGIT_GUESSES_PER_HOUR, 3600
        ):
            raise TrackingLimited("code", ratelimit.seconds_left(3600))
        return
    keys = [
        ratelimit.cache_key("track", client, 60),
        ratelimit.cache_key("track-miss-client", client, ANOMALY_WINDOW_SECONDS),
        ratelimit.cache_key("track-miss", ALL_CLIENTS, 60),
        ratelimit.cache_key("track-miss", ALL_CLIENTS, 60, windows_ago=1),
    ]
    if digits_key:
        keys.append(ratelimit.cache_key("track-digits", digits_key, 3600))
    # The same windows (and five seconds more) as `ratelimit.incr` gives its counters.
    stopped = _limits_script(server)(
        keys=[shared_redis.key(key) for key in keys],
        args=[
            settings.TRACK_LIMIT_PER_MINUTE,
            60 + 5,
            settings.TRACK_ANOMALY_MISSES_PER_CLIENT,
            settings.TRACK_ANOMALY_MISSES_PER_MINUTE,
            DIGIT_GUESSES_PER_HOUR,
            3600 + 5,
        ],
    )
    if stopped == 1:
        raise TrackingLimited("client", ratelimit.seconds_left(60))
    if stopped == 2:
        raise TrackingLimited("anomaly", ratelimit.seconds_left(ANOMALY_WINDOW_SECONDS))
    if stopped == 3:
        raise TrackingLimited("code", ratelimit.seconds_left(3600))


def _missed(client: str) -> None:
    ratelimit.incr("track-miss-client", client, ANOMALY_WINDOW_SECONDS)
    misses = ratelimit.incr("track-miss", ALL_CLIENTS, 60)
    if misses == settings.TRACK_ANOMALY_MISSES_PER_MINUTE + 1:  # once per minute over
        logger.warning("tracking: more than %s failed lookups this minute", misses - 1)
        note_tracking_anomaly(misses - 1)


def under_anomaly() -> bool:
    """Whether failed lookups ran over the global limit this minute or the last (the
    previous minute keeps the brake on across the minute's turn)."""
    limit = settings.TRACK_ANOMALY_MISSES_PER_MINUTE
    return (
        ratelimit.count("track-miss", ALL_CLIENTS, 60) > limit
        or ratelimit.count("track-miss", ALL_CLIENTS, 60, windows_ago=1) > limit
    )


def _hold_back_during_anomaly(client: str) -> None:
    # The client's own count is read first: most lookups come from clients that have not
    # failed, and need no second read.
    failed = ratelimit.count("track-miss-client", client, ANOMALY_WINDOW_SECONDS)
    if failed >= settings.TRACK_ANOMALY_MISSES_PER_CLIENT and under_anomaly():
        raise TrackingLimited("anomaly", ratelimit.seconds_left(ANOMALY_WINDOW_SECONDS))


def postal_status(item: PostalItem) -> PostalStatus:
    """The item's postal steps only: no procedure, agency, dossier code or name."""
    events: list
    if item.order_id is not None:
        moves = ORDER_POSTAL_STEPS[item.leg]
        events = list(
            OrderEvent.objects.filter(order_id=item.order_id, action__in=moves)
            .select_related("service_point")
            .order_by("at", "id")
        )
    else:
        moves = POSTAL_STEPS[item.leg]
        events = list(
            DossierEvent.objects.filter(dossier_id=item.dossier_id or 0, action__in=moves)
            .select_related("service_point")
            .order_by("at", "id")
        )
    if item.leg == PostalItem.Leg.SUPPLEMENT:
        events = _this_supplements_events(item, events)
    steps: list[PostalStep] = []
    for event in events:
        state = moves[event.action]
        place = event.service_point.name if event.service_point is not None else ""
        steps.append(
            PostalStep(
                at=event.at,
                status=state,
                label=str(state.label),
                place=place if state in PLACED_POSTAL else "",
            )
        )
        if state in FINAL_POSTAL:
            break
    state = PostalState(steps[-1].status) if steps else PostalState.NOT_POSTED
    return PostalStatus(
        item=item.item_id,
        status=state,
        status_label=str(state.label),
        final=state in FINAL_POSTAL,
        steps=steps,
    )


def _this_supplements_events(item: PostalItem, events: list[DossierEvent]) -> list:
    """A dossier may send several supplements, each its own item: the n-th item is
    sealed by the n-th "seal_supplement" and moved by the steps before the next one."""
    items = list(
        PostalItem.objects.filter(dossier_id=item.dossier_id or 0, leg=PostalItem.Leg.SUPPLEMENT)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )
    rank = items.index(item.pk)
    seals = [n for n, event in enumerate(events) if event.action == "seal_supplement"]
    if rank >= len(seals):
        return []
    end = seals[rank + 1] if rank + 1 < len(seals) else len(events)
    return events[seals[rank] : end]


def _hand_over_event(dossier: Dossier) -> DossierEvent | None:
    return dossier.events.filter(action="hand_over").order_by("-at", "-id").first()


def form_token(dossier: Dossier) -> str:
    """A token for Form 01 of the dossier's hand-over, or "" before the hand-over."""
    event = _hand_over_event(dossier)
    return _form_token(dossier.pk, event.pk if event is not None else None)


def _form_token(dossier_id: int, hand_over_id: int | None) -> str:
    if hand_over_id is None:
        return ""
    return signing.dumps({"d": dossier_id, "e": hand_over_id}, salt=FORM_SALT)


def form_from_token(token: str) -> tuple[Dossier, DossierEvent] | None:
    """The dossier and hand-over event of a valid, unexpired token, else None."""
    if not token or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=FORM_SALT, max_age=FORM_TOKEN_SECONDS)
    except signing.BadSignature:  # also an expired one (SignatureExpired)
        return None
    if not isinstance(data, dict) or data.get("d") is None or data.get("e") is None:
        return None
    dossier = _tracked().filter(pk=data["d"]).first()
    if dossier is None:
        return None
    event = dossier.events.filter(pk=data["e"], action="hand_over").first()
    return (dossier, event) if event is not None else None


def needs_digits(code: str) -> bool:
    return not s10.is_valid(normalise(code))


def describe(dossier: Dossier) -> Tracking:
    return _describe(_Found.of(dossier))[0]


@dataclass
class _Timeline:
    steps: list[Step]
    items: list[str]
    hand_over: int | None  # the latest hand-over event: Form 01's
    read_at: float = 0.0  # when it was read from the database (`time.time()`)


def _timeline_key(dossier: _Found) -> str:
    # Labels are translated when read: one entry per language.
    return f"track:timeline:2:{dossier.pk}:{dossier.timeline_version}:{get_language()}"


def _pack(timeline: _Timeline) -> dict:
    # Plain values only, so an entry written by another release of the code still reads.
    return {
        "steps": [(s.at, s.code, s.label, s.place) for s in timeline.steps],
        "items": timeline.items,
        "hand_over": timeline.hand_over,
        "read_at": timeline.read_at,
    }


def _unpack(kept: object) -> _Timeline | None:
    if not isinstance(kept, dict):
        return None
    return _Timeline(
        steps=[Step(*step) for step in kept["steps"]],
        items=kept["items"],
        hand_over=kept["hand_over"],
        read_at=kept["read_at"],
    )


def _timeline(dossier: _Found) -> _Timeline:
    """The dossier's timeline, from the shared cache when the dossier was read with its
    `timeline_version` (`_read_found`), else from the database."""
    if dossier.timeline_version is None:
        return _read_timeline(dossier.pk)
    key = _timeline_key(dossier)
    timeline = _unpack(shared_redis.get_many([key]).get(key))
    if timeline is None:
        timeline = _read_timeline(dossier.pk)
        shared_redis.set_many({key: _pack(timeline)}, TIMELINE_SECONDS)
    return timeline


@functools.cache
def _timeline_sql() -> str:
    # The events with their places and the postal items, in one statement written out
    # (see `_found_sql`): kind 0 an event, kind 1 an item.
    return f"""
        SELECT 0, e.id, e.at, e.code, e.action, sp.name, ag.name
          FROM {DossierEvent._meta.db_table} e
          LEFT JOIN {ServicePoint._meta.db_table} sp ON sp.id = e.service_point_id
          LEFT JOIN {Agency._meta.db_table} ag ON ag.id = e.agency_id
         WHERE e.dossier_id = %s
        UNION ALL
        SELECT 1, i.id, i.created_at, i.item_id, '', '', ''
          FROM {PostalItem._meta.db_table} i
         WHERE i.dossier_id = %s
         ORDER BY 1, 3, 2
    """  # noqa: S608 - table names from the models, values as parameters


def _read_timeline(dossier_id: int) -> _Timeline:
    steps, items, hand_over = [], [], None
    alias = router.db_for_read(DossierEvent)
    with connections[alias].cursor() as cursor:
        cursor.execute(_timeline_sql(), [dossier_id, dossier_id])
        rows = cursor.fetchall()
    for kind, pk, at, code, action, point_name, agency_name in rows:
        if kind == 1:
            items.append(code)
            continue
        step = BY_ACTION.get(action)
        steps.append(
            Step(
                at=_aware(at),
                code=code,
                label=str(step.label) if step else code,
                place=point_name or agency_name or "",
            )
        )
        if action == "hand_over":
            hand_over = pk  # in (at, id) order: the last one is the latest
    return _Timeline(steps=steps, items=items, hand_over=hand_over, read_at=time.time())


def _describe(
    dossier: _Found, *, page: bool = False, offers_form: bool = False
) -> tuple[Tracking, int | None]:
    """The dossier for the citizen, and the id of its latest hand-over event; with `page`,
    its card too (`_with_card`), showing Form 01's button when `offers_form`."""
    expected_handover = None
    if (
        dossier.status in (State.SEALED, State.IN_TRANSIT)
        and dossier.agency is not None
        and dossier.sealed_at is not None  # a sealed dossier has it
    ):
        expected_handover = calendar_for(dossier.agency).due_in_working_days(
            dossier.sealed_at, post_days(OUTBOUND_STATES), after_15h_next_day=False
        )
    info = STATES[dossier.status]
    tracking = Tracking(
        code=dossier.code,
        items=[],
        masked_name=mask_name(dossier.applicant_name),
        procedure=dossier.procedure,
        agency=dossier.agency.name if dossier.agency is not None else "",
        status=dossier.status,
        status_label=str(State(dossier.status).label),
        national_status=info.national_status,
        final=info.final,
        expected_handover=expected_handover,
        due_at=dossier.due_at,
        expected_return_at=dossier.expected_return_at,
    )
    if page and dossier.timeline_version is not None:
        return _with_card(dossier, tracking, offers_form)
    timeline = _timeline(dossier)
    tracking.items, tracking.steps = list(timeline.items), list(timeline.steps)
    return tracking, timeline.hand_over


def _with_card(
    dossier: _Found, tracking: Tracking, offers_form: bool
) -> tuple[Tracking, int | None]:
    """`tracking` with its card: the kept card and the kept timeline asked for in one
    operation, the card keyed before any timeline is read (`card.kept_key`), so a kept
    card needs neither; what was rendered or read is kept in one operation too. Both
    through the process's Redis client (`shared_redis`), not a client per operation."""
    card_key = cards.kept_key(tracking, dossier.pk, dossier.timeline_version or 0, offers_form)
    timeline_key = _timeline_key(dossier)
    kept = shared_redis.get_many([card_key, timeline_key])
    entry = kept.get(card_key)
    if isinstance(entry, dict):
        tracking.kept_card = entry["html"]
        return tracking, entry["hand_over"]
    keep = {}
    timeline = _unpack(kept.get(timeline_key))
    if timeline is None:
        timeline = _read_timeline(dossier.pk)
        keep[timeline_key] = _pack(timeline)
    tracking.items, tracking.steps = list(timeline.items), list(timeline.steps)
    tracking.kept_card = cards.render(tracking, offers_form and timeline.hand_over is not None)
    keep[card_key] = {"html": tracking.kept_card, "hand_over": timeline.hand_over}
    # No longer than the timeline it shows: a kept timeline has less of its time left.
    left = int(timeline.read_at + TIMELINE_SECONDS - time.time())
    if left > 0:
        shared_redis.set_many(keep, left)
    return tracking, timeline.hand_over


def not_found_message() -> str:
    return _(
        "Nothing matches. Check the code; with a dossier code or a home-pickup booking code, "
        "give the last 4 digits of the phone number you gave."
    )


def limited_message(limited: TrackingLimited) -> str:
    """What to tell someone held back, in the page's language."""
    if limited.reason == "anomaly":
        minutes = max(1, round(limited.retry_after / 60))
        return _(
            "Many failed lookups are being made right now, so after several failed attempts "
            "a connection must wait: please try again in %(minutes)d minutes. Scanning the "
            "QR code on your label or opening the link in our SMS still works."
        ) % {"minutes": minutes}
    if limited.reason == "code":
        return _(
            "Too many attempts for this dossier code. Please try again in an hour, or open "
            "the link in the SMS we sent you."
        )
    return _("Too many lookups from your connection. Please try again in a minute.")


def link_refused_message() -> str:
    return _(
        "This tracking link is not valid (any more). The postal item number shows where the "
        "item is; for the whole dossier, type the dossier code with the last 4 digits of "
        "your phone."
    )
