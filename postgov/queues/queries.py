"""What the pages read: where a ticket stands, the waiting room's board."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, FilteredRelation, Q
from django.utils import timezone

from postgov.queues.actions import board_cache_key, waiting_line
from postgov.queues.models import Counter, QueueService, Ticket, TicketEvent

# Until the day has served someone, a service is reckoned to take this long per person.
DEFAULT_SERVICE_MINUTES = 5
BOARD_NEXT = 6
# The screens of a point share one reading of its board. Every step of a ticket drops the
# reading when it commits, so a call shows at the next poll; this bounds how long a
# change made some other way (or a reading taken just before a step committed) can stay
# unseen: no longer than the screens' own polling interval (display.html).
BOARD_CACHE_SECONDS = 3


@dataclass(frozen=True)
class Standing:
    ahead: int
    estimated_minutes: int


def line(counter: Counter) -> list[tuple[QueueService, int]]:
    """How many wait today for each open service of the counter, in one statement (the
    day's waiting tickets joined to the services, counted per service)."""
    today = timezone.localdate()
    services = (
        counter.services.filter(active=True)
        .annotate(
            waiting_now=FilteredRelation(
                "ticket",
                condition=Q(
                    ticket__day=today,
                    ticket__state=Ticket.State.WAITING,
                    ticket__service_point_id=counter.service_point_id,
                ),
            ),
            waiting=Count("waiting_now"),
        )
        .order_by("letter")
    )
    return [(service, service.waiting) for service in services]


def counter_row(pk: int) -> Counter | None:
    """The counter (its own columns, not its point), read without compiling a query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, service_point_id, number, active FROM queues_counter WHERE id = %s", [pk]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Counter.from_db(connection.alias, ["id", "service_point_id", "number", "active"], row)


def open_services(point_id: int) -> list[QueueService]:
    """The point's open services by letter: a counter's choices to send a ticket to. Read
    by one plain statement (no join for the model's ordering by point, nothing compiled):
    the counter's desk after each call shows them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, service_point_id, letter, kind, active FROM queues_queueservice"
            " WHERE service_point_id = %s AND active ORDER BY letter",
            [point_id],
        )
        rows = cursor.fetchall()
    names = ["id", "service_point_id", "letter", "kind", "active"]
    return [QueueService.from_db(connection.alias, names, row) for row in rows]


def average_service_minutes(service: QueueService, day: date) -> float:
    """The mean time from a call to the end of the service today, at this service."""
    ended = TicketEvent.objects.filter(
        service=service, day=day, kind=TicketEvent.Kind.ENDED
    ).values_list("ticket_id", "at")
    ends = dict(ended)
    if not ends:
        return DEFAULT_SERVICE_MINUTES
    calls = TicketEvent.objects.filter(
        ticket_id__in=list(ends), kind=TicketEvent.Kind.CALLED, service=service
    ).values_list("ticket_id", "at")
    called = dict(sorted(calls, key=lambda row: row[1]))
    spans = [(ends[t] - called[t]).total_seconds() / 60 for t in ends if t in called]
    return max(1.0, sum(spans) / len(spans)) if spans else DEFAULT_SERVICE_MINUTES


def standing(ticket: Ticket) -> Standing | None:
    """How many are ahead and roughly how long until the call; None once called."""
    if ticket.state != Ticket.State.WAITING:
        return None
    line = list(
        waiting_line([ticket.service_id], ticket.service_point_id, ticket.day).values_list(
            "pk", flat=True
        )
    )
    ahead = line.index(ticket.pk) if ticket.pk in line else 0
    counters = max(1, Counter.objects.filter(services=ticket.service, active=True).count())
    minutes = average_service_minutes(ticket.service, ticket.day) * (ahead + 1) / counters
    return Standing(ahead=ahead, estimated_minutes=round(minutes))


@dataclass(frozen=True)
class Board:
    serving: list[Ticket]
    next_up: list[Ticket]

    @property
    def version(self) -> str:
        """Changes whenever what the screens show changes: their ETag."""
        shown = [f"{t.label}>{t.counter.number if t.counter else ''}" for t in self.serving]
        shown.append("|")
        shown.extend(t.label for t in self.next_up)
        return hashlib.sha256(" ".join(shown).encode()).hexdigest()[:20]


def board(point_id: int) -> Board:
    """Numbers only: who is at which counter now (latest call first), who comes next."""
    today = timezone.localdate()
    serving = list(
        Ticket.objects.filter(service_point_id=point_id, day=today, state=Ticket.State.CALLED)
        .select_related("counter")
        .order_by("-called_at")
    )
    services = QueueService.objects.filter(service_point_id=point_id, active=True)
    next_up = list(
        waiting_line(services.values_list("pk", flat=True), point_id, today)[:BOARD_NEXT]
    )
    return Board(serving=serving, next_up=next_up)


def cached_board(point_id: int) -> Board:
    """`board`, read once for all the point's screens until a ticket's step changes it
    (through the shared cache, so every web process shares the reading)."""
    key = board_cache_key(point_id)
    found: Board | None = cache.get(key)
    if found is None:
        found = board(point_id)
        cache.set(key, found, BOARD_CACHE_SECONDS)
    return found
