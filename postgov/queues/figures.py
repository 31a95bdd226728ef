"""A point's day in figures, read from the ticket events alone (never from the tickets'
current state, which a later step changes).

Per ticket, the events are walked in order: it waits from its arrival (or a transfer)
until it is called, and is served from a call until it is sent on or its service ends.
A call that ends in "did not come" counts as waiting, not as service.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from postgov.queues.models import QueueService, TicketEvent


@dataclass
class Figures:
    issued: int = 0
    served: int = 0
    no_shows: int = 0
    waits: list[float] = field(default_factory=list)  # minutes, arrival to first call
    services: list[float] = field(default_factory=list)  # minutes at counters
    within_target: int = 0
    ratings: list[int] = field(default_factory=list)

    def _mean(self, values) -> float | None:
        return round(sum(values) / len(values), 1) if values else None

    @property
    def mean_wait(self) -> float | None:
        return self._mean(self.waits)

    @property
    def longest_wait(self) -> float | None:
        return round(max(self.waits), 1) if self.waits else None

    @property
    def mean_service(self) -> float | None:
        return self._mean(self.services)

    @property
    def within_target_share(self) -> float | None:
        """Of the tickets called, the share called within their service's target."""
        return round(100 * self.within_target / len(self.waits), 1) if self.waits else None

    @property
    def mean_rating(self) -> float | None:
        return self._mean(self.ratings)


def day_figures(point_id: int, day: date) -> dict[QueueService | None, Figures]:
    """{service: figures} for the service each ticket arrived in, and None: the total."""
    events = TicketEvent.objects.filter(service_point_id=point_id, day=day).order_by(
        "ticket_id", "at", "id"
    )
    services = {s.pk: s for s in QueueService.objects.filter(service_point_id=point_id)}
    by_ticket: dict[int, list[TicketEvent]] = defaultdict(list)
    for event in events:
        by_ticket[event.ticket_id].append(event)
    result: dict[QueueService | None, Figures] = defaultdict(Figures)
    for ticket_events in by_ticket.values():
        first = ticket_events[0]
        if first.kind != TicketEvent.Kind.ARRIVED:
            continue
        service = services[first.service_id]
        rows = (result[service], result[None])
        waiting_since: datetime | None = first.at
        serving_since: datetime | None = None
        first_wait: float | None = None
        for event in ticket_events:
            kind = event.kind
            if kind == TicketEvent.Kind.ARRIVED:
                for row in rows:
                    row.issued += 1
            elif kind == TicketEvent.Kind.CALLED and waiting_since is not None:
                if first_wait is None:
                    first_wait = (event.at - waiting_since).total_seconds() / 60
                waiting_since, serving_since = None, event.at
            elif kind in (TicketEvent.Kind.TRANSFERRED, TicketEvent.Kind.ENDED):
                if serving_since is not None:
                    spent = (event.at - serving_since).total_seconds() / 60
                    for row in rows:
                        row.services.append(spent)
                serving_since = None
                waiting_since = event.at if kind == TicketEvent.Kind.TRANSFERRED else None
                if kind == TicketEvent.Kind.ENDED:
                    for row in rows:
                        row.served += 1
            elif kind == TicketEvent.Kind.NO_SHOW:
                serving_since = None
                for row in rows:
                    row.no_shows += 1
            elif kind == TicketEvent.Kind.RATED:
                for row in rows:
                    row.ratings.append(int(event.details.get("rating", 0)))
        if first_wait is not None:
            for row in rows:
                row.waits.append(first_wait)
                if first_wait <= service.target_minutes:
                    row.within_target += 1
    result.setdefault(None, Figures())
    return dict(result)
