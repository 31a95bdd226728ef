"""Every change to the queues: tickets issued, called, sent to another service, ended or
missed; display screens made and revoked; appointments booked, cancelled, checked in,
reminded and missed. Each step runs in a transaction. A ticket's steps append a
`TicketEvent`, which is their record (who, where, when): a ticket carries no personal
data and changes no case, so only a transfer also goes into the audit trail, as do the
screens (their tokens open the board) and the appointments (they carry a phone number).

A call locks the ticket it takes and skips tickets other counters are taking at that
moment (`SELECT … FOR UPDATE SKIP LOCKED`), so two counters pressing "call next" together
never get the same ticket and never wait for each other; the counter's own row is locked
too, so that one counter cannot call twice at once. Ticket numbers come
from a counter row per service and day (`postgov.lib.counters`): one statement, no
duplicates, and a rolled-back issue gives its number back.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.audit.actions import chained_at_end, record
from postgov.lib import counters
from postgov.lib.codes import create_with_code
from postgov.lib.locking import lock_one, lock_row
from postgov.lib.phones import to_e164
from postgov.notify.actions import queue_message
from postgov.places.models import ServicePoint
from postgov.queues import slots
from postgov.queues.models import (
    Appointment,
    Counter,
    DisplayScreen,
    QueueService,
    Ticket,
    TicketEvent,
    TicketNumber,
)

# An appointment not checked in this long after its slot ends is missed.
NO_SHOW_GRACE = timedelta(minutes=15)


class QueueError(Exception):
    """A queue step that is not possible now; the message (page language) says why."""


def _actor(request: HttpRequest | None) -> Any:
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def _event(
    ticket: Ticket,
    kind: str,
    request: HttpRequest | None = None,
    *,
    counter: Counter | None = None,
    **details: Any,
) -> TicketEvent:
    event = TicketEvent(
        ticket=ticket,
        service_point_id=ticket.service_point_id,
        province_id=ticket.province_id,
        day=ticket.day,
        kind=kind,
        at=timezone.now(),
        service_id=ticket.service_id,
        counter=counter,
        actor=_actor(request),
        details=details,
    )
    event.save()
    transaction.on_commit(lambda: board_changed(ticket.service_point_id))
    return event


def board_changed(point_id: int) -> None:
    """The point's screens show the change at their next poll rather than a shared
    reading taken before it."""
    cache.delete(board_cache_key(point_id))


def board_cache_key(point_id: int) -> str:
    return f"queues:board:{point_id}:{timezone.localdate().isoformat()}"


def _audit(action: str, ticket: Ticket, request: HttpRequest | None = None, **details: Any) -> None:
    record(
        action,
        request=request,
        obj=ticket,
        service_point_id=ticket.service_point_id,
        details={"ticket": ticket.label, **details},
    )


def _province_of(service: QueueService) -> int:
    return (
        ServicePoint.objects.filter(pk=service.service_point_id)
        .values_list("commune__province_id", flat=True)
        .get()
    )


# -- tickets -----------------------------------------------------------------------------------


def issue_ticket(
    service: QueueService,
    *,
    request: HttpRequest | None = None,
    appointment: Appointment | None = None,
) -> Ticket:
    """A new ticket at the end of the service's line (an appointment's goes ahead of the
    walk-ins). Numbers restart at 1 each day, per service."""
    if not service.active:
        raise QueueError(_("This service is closed."))
    now = timezone.now()
    day = timezone.localdate(now)
    with transaction.atomic():
        number = counters.bump(TicketNumber, service=service.pk, day=day)
        ticket = Ticket.objects.create(
            service_point_id=service.service_point_id,
            province_id=_province_of(service),
            service=service,
            day=day,
            letter=service.letter,
            number=number,
            token=secrets.token_urlsafe(18),
            priority=appointment is not None,
            appointment=appointment,
            issued_at=now,
            queued_at=now,
        )
        _event(ticket, TicketEvent.Kind.ARRIVED, request, appointment=bool(appointment))
    return ticket


def waiting_line(
    service_ids: Iterable[int] | QuerySet[Any], point_id: int, day: date
) -> QuerySet[Ticket]:
    """Tickets waiting for these services (ids, or a query of them that the database runs
    as a subquery), in the order they will be called: checked-in appointments first, then
    first come, first served."""
    if not isinstance(service_ids, QuerySet):
        service_ids = list(service_ids)
    return Ticket.objects.filter(
        service_point_id=point_id, day=day, service_id__in=service_ids, state="waiting"
    ).order_by("-priority", "queued_at", "id")


def _serving(counter: Counter) -> QuerySet[Ticket]:
    return Ticket.objects.filter(
        counter=counter, state=Ticket.State.CALLED, day=timezone.localdate()
    )


def current_ticket(counter: Counter) -> Ticket | None:
    found: Ticket | None = _serving(counter).order_by("-called_at").first()
    return found


def call_next(counter: Counter, *, request: HttpRequest | None = None) -> Ticket | None:
    """Call the first ticket in line for the counter's services; None when nobody waits.
    On PostgreSQL two statements in the transaction: the counter's lock, then one that
    takes the ticket (reading whether the counter is still serving someone), marks it
    called and writes its event."""
    if not counter.active:
        raise QueueError(_("This counter is closed."))
    with transaction.atomic():
        # Two presses at one counter wait for each other; other counters do not.
        if connection.vendor == "postgresql":
            _lock_counter(counter.pk)
            ticket = _call_in_one_statement(counter, request)
        else:
            lock_one(Counter, counter.pk)
            ticket = _call_through_the_orm(counter, request)
        if ticket is None:
            if current_ticket(counter) is not None:
                raise QueueError(
                    _("Finish the ticket at this counter before calling the next one.")
                )
            return None
    return ticket


def _call_through_the_orm(counter: Counter, request: HttpRequest | None) -> Ticket | None:
    services = counter.services.filter(active=True).values("pk")
    # Read by the statement after the lock, so that it sees what a press that held the
    # lock before this one committed (a condition of the lock's own statement would
    # be read before the wait).
    line = waiting_line(services, counter.service_point_id, timezone.localdate()).filter(
        ~Exists(_serving(counter))
    )
    # The first ticket no other counter is taking: a ticket being called elsewhere is
    # passed over, not waited for. Should that call roll back, the ticket is first in
    # line again at the next press. PostgreSQL checks the row's state again once it
    # holds the lock, so a ticket just called elsewhere is never taken twice.
    ticket = lock_row(line, skip_locked=True)
    if ticket is None:
        return None
    ticket.state = Ticket.State.CALLED
    ticket.counter = counter
    ticket.called_at = timezone.now()
    ticket.save(update_fields=["state", "counter", "called_at"])
    _event(ticket, TicketEvent.Kind.CALLED, request, counter=counter)
    return ticket


def _lock_counter(pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM queues_counter WHERE id = %s FOR NO KEY UPDATE", [pk])
        if cursor.fetchone() is None:
            raise Counter.DoesNotExist(f"Counter {pk} does not exist")


# The ticket's columns, in the model's order (`Model.from_db` reads them so).
_TICKET_COLUMNS: tuple[str, ...] = tuple(
    str(field.column) for field in Ticket._meta.concrete_fields
)
_RETURNING = ", ".join(f"t.{column}" for column in _TICKET_COLUMNS)
_SELECTED = ", ".join(_TICKET_COLUMNS)

# The same query as `_call_through_the_orm`, written out: the first waiting ticket of the
# counter's open services that no other counter is taking (SKIP LOCKED; PostgreSQL checks
# the row's state again once it holds the lock, so a ticket just called elsewhere is never
# taken twice), unless the counter still serves one; read after the counter's lock, so it
# sees what a press that held the lock before committed. The UPDATE and the event's
# INSERT run in the same statement (PostgreSQL always runs a data-modifying WITH to its
# end), so nothing is compiled and no model is saved.
_CALL_SQL = f"""
WITH picked AS (
    SELECT t.id FROM queues_ticket t
    WHERE t.service_point_id = %(point)s AND t.day = %(day)s AND t.state = 'waiting'
      AND t.service_id IN (
          SELECT s.id FROM queues_queueservice s
          JOIN queues_counter_services cs ON cs.queueservice_id = s.id
          WHERE cs.counter_id = %(counter)s AND s.active
      )
      AND NOT EXISTS (
          SELECT 1 FROM queues_ticket c
          WHERE c.counter_id = %(counter)s AND c.state = 'called' AND c.day = %(day)s
      )
    ORDER BY t.priority DESC, t.queued_at, t.id
    LIMIT 1
    FOR NO KEY UPDATE OF t SKIP LOCKED
), called AS (
    UPDATE queues_ticket t SET state = 'called', counter_id = %(counter)s, called_at = %(now)s
    FROM picked WHERE t.id = picked.id AND t.state = 'waiting'
    RETURNING {_RETURNING}
), event AS (
    INSERT INTO queues_ticketevent
        (ticket_id, service_point_id, province_id, day, kind, at, service_id, counter_id,
         actor_id, details)
    SELECT id, service_point_id, province_id, day, 'called', %(now)s, service_id,
           counter_id, %(actor)s, '{{}}'::jsonb
    FROM called
)
SELECT {_SELECTED} FROM called
"""  # noqa: S608 - column names from the model, values as parameters

# The counter's ticket, found and locked (PostgreSQL checks the row's state again once it
# holds the lock, so a ticket another request has just ended is not taken), its new state
# and its event, in one statement.
_STEP_SQL = f"""
WITH serving AS (
    SELECT t.id FROM queues_ticket t
    WHERE t.counter_id = %(counter)s AND t.state = 'called' AND t.day = %(day)s
    ORDER BY t.called_at DESC
    LIMIT 1
    FOR NO KEY UPDATE OF t
), stepped AS (
    UPDATE queues_ticket t SET state = %(state)s
    FROM serving WHERE t.id = serving.id AND t.state = 'called'
    RETURNING {_RETURNING}
), event AS (
    INSERT INTO queues_ticketevent
        (ticket_id, service_point_id, province_id, day, kind, at, service_id, counter_id,
         actor_id, details)
    SELECT id, service_point_id, province_id, day, %(kind)s, %(now)s, service_id,
           %(counter)s, %(actor)s, '{{}}'::jsonb
    FROM stepped
)
SELECT {_SELECTED} FROM stepped
"""  # noqa: S608 - column names from the model, values as parameters


def _ticket_from_row(row: tuple[Any, ...]) -> Ticket:
    return Ticket.from_db(connection.alias, list(_TICKET_COLUMNS), row)


def _actor_id(request: HttpRequest | None) -> int | None:
    actor = _actor(request)
    return actor.pk if actor is not None else None


def _call_in_one_statement(counter: Counter, request: HttpRequest | None) -> Ticket | None:
    with connection.cursor() as cursor:
        cursor.execute(
            _CALL_SQL,
            {
                "point": counter.service_point_id,
                "day": timezone.localdate(),
                "counter": counter.pk,
                "now": timezone.now(),
                "actor": _actor_id(request),
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    transaction.on_commit(lambda: board_changed(counter.service_point_id))
    ticket = _ticket_from_row(row)
    ticket.counter = counter
    return ticket


def _step_in_one_statement(
    counter: Counter, state: str, kind: str, request: HttpRequest | None
) -> Ticket:
    """End or no-show of the ticket the counter serves, on PostgreSQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            _STEP_SQL,
            {
                "counter": counter.pk,
                "day": timezone.localdate(),
                "state": state,
                "kind": kind,
                "now": timezone.now(),
                "actor": _actor_id(request),
            },
        )
        row = cursor.fetchone()
    if row is None:
        raise QueueError(_("No ticket is being served at this counter."))
    transaction.on_commit(lambda: board_changed(counter.service_point_id))
    ticket = _ticket_from_row(row)
    ticket.counter = counter
    return ticket


def _locked_called(ticket: Ticket | None, counter: Counter) -> Ticket:
    """The ticket, locked, if the counter is still serving it; with None, whichever ticket
    the counter is serving, found and locked by one statement (PostgreSQL checks the
    row's state again once it holds the lock, so a ticket another request has just ended
    is not returned)."""
    if ticket is None:
        found = lock_row(_serving(counter).order_by("-called_at"))
        if found is None:
            raise QueueError(_("No ticket is being served at this counter."))
        return found
    ticket = lock_one(Ticket, ticket.pk)
    if ticket.state != Ticket.State.CALLED or ticket.counter_id != counter.pk:
        raise QueueError(_("This ticket is not being served at this counter any more."))
    return ticket


def recall(
    ticket: Ticket | None, counter: Counter, *, request: HttpRequest | None = None
) -> Ticket:
    """Call the same ticket again (the display shows it once more). This step, like the
    ones below, takes the ticket the counter is serving when `ticket` is None."""
    with transaction.atomic():
        ticket = _locked_called(ticket, counter)
        ticket.called_at = timezone.now()
        ticket.save(update_fields=["called_at"])
        _event(ticket, TicketEvent.Kind.RECALLED, request, counter=counter)
    return ticket


def transfer(
    ticket: Ticket | None,
    counter: Counter,
    service: QueueService,
    *,
    request: HttpRequest | None = None,
) -> Ticket:
    """Send the ticket to another service of the point: it waits there in the place its
    issue time gives it, since the person has already waited once."""
    # A counter serves tickets of its own post office only.
    if service.service_point_id != counter.service_point_id or not service.active:
        raise QueueError(_("Choose a service of this post office."))
    with transaction.atomic():
        ticket = _locked_called(ticket, counter)
        if service.pk == ticket.service_id:
            raise QueueError(_("The ticket is already in this service."))
        before = ticket.service.letter
        ticket.state = Ticket.State.WAITING
        ticket.service = service
        ticket.counter = None
        ticket.save(update_fields=["state", "service", "counter"])
        _event(ticket, TicketEvent.Kind.TRANSFERRED, request, counter=counter, previous=before)
        _audit("queue.ticket_transferred", ticket, request, service=service.letter)
    return ticket


def end_service(
    ticket: Ticket | None, counter: Counter, *, request: HttpRequest | None = None
) -> Ticket:
    with transaction.atomic():
        if ticket is None and connection.vendor == "postgresql":
            return _step_in_one_statement(
                counter, Ticket.State.DONE, TicketEvent.Kind.ENDED, request
            )
        ticket = _locked_called(ticket, counter)
        ticket.state = Ticket.State.DONE
        ticket.save(update_fields=["state"])
        _event(ticket, TicketEvent.Kind.ENDED, request, counter=counter)
    return ticket


def no_show(
    ticket: Ticket | None, counter: Counter, *, request: HttpRequest | None = None
) -> Ticket:
    """Called and nobody came to the counter."""
    with transaction.atomic():
        if ticket is None and connection.vendor == "postgresql":
            return _step_in_one_statement(
                counter, Ticket.State.NO_SHOW, TicketEvent.Kind.NO_SHOW, request
            )
        ticket = _locked_called(ticket, counter)
        ticket.state = Ticket.State.NO_SHOW
        ticket.save(update_fields=["state"])
        _event(ticket, TicketEvent.Kind.NO_SHOW, request, counter=counter)
    return ticket


def rate(ticket: Ticket, stars: int, *, request: HttpRequest | None = None) -> Ticket:
    """The citizen's 1–5 rating after the service; once per ticket."""
    if stars not in range(1, 6):
        raise QueueError(_("Choose from 1 to 5 stars."))
    with transaction.atomic():
        ticket = lock_one(Ticket, ticket.pk)
        if ticket.state != Ticket.State.DONE:
            raise QueueError(_("You can rate the service once it has ended."))
        if ticket.rating is not None:
            raise QueueError(_("This ticket has already been rated. Thank you."))
        ticket.rating = stars
        ticket.save(update_fields=["rating"])
        _event(ticket, TicketEvent.Kind.RATED, request, rating=stars)
    return ticket


# -- display screens ---------------------------------------------------------------------------


def screen_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_screen(
    point: ServicePoint, name: str, *, request: HttpRequest | None = None
) -> tuple[DisplayScreen, str]:
    """A new display screen and its token, shown once: only its hash is kept."""
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        screen = DisplayScreen.objects.create(
            service_point=point,
            name=name.strip()[:60] or _("Waiting room"),
            token_hash=screen_token_hash(token),
            created_by=_actor(request),
        )
        record(
            "queue.screen_created",
            request=request,
            obj=screen,
            service_point_id=point.pk,
            details={"name": screen.name},
        )
    return screen, token


def revoke_screen(screen: DisplayScreen, *, request: HttpRequest | None = None) -> DisplayScreen:
    with transaction.atomic():
        screen = lock_one(DisplayScreen, screen.pk)
        if screen.revoked_at is None:
            screen.revoked_at = timezone.now()
            screen.save(update_fields=["revoked_at"])
            record(
                "queue.screen_revoked",
                request=request,
                obj=screen,
                service_point_id=screen.service_point_id,
                details={"name": screen.name},
            )
    return screen


def screen_seen(screen: DisplayScreen) -> None:
    """When the screen last asked for the board (the supervisors' page shows it)."""
    now = timezone.now()
    if screen.last_seen_at is None or now - screen.last_seen_at > timedelta(minutes=1):
        DisplayScreen.objects.filter(pk=screen.pk).update(last_seen_at=now)


# -- appointments ------------------------------------------------------------------------------


def appointment_link(appointment: Appointment) -> str:
    return settings.SITE_URL + reverse("queues:appointment", args=[appointment.token])


def _sms(appointment: Appointment, template: str) -> None:
    context = {
        "code": appointment.code,
        "day": appointment.day,
        "starts_at": appointment.starts_at,
        "letter": appointment.service.letter,
        "point": appointment.service_point.name,
        "link": appointment_link(appointment),
    }
    queue_message("sms", to_e164(appointment.phone), template, context, about=appointment)


def book_appointment(
    service: QueueService,
    day: date,
    starts_at: time,
    phone: str,
    *,
    request: HttpRequest | None = None,
) -> Appointment:
    """Book a slot; `phone` already normalised. Refused (QueueError) when the slot is not
    open or full. Bookings of one service are counted one at a time."""
    problem = slots.slot_problem(service, day, starts_at)
    if problem:
        raise QueueError(problem)
    with transaction.atomic():
        service = lock_one(QueueService, service.pk)
        if slots.booked(service, day).get(starts_at, 0) >= service.slot_capacity:
            raise QueueError(_("That time is fully booked. Please choose another time."))
        appointment = create_with_code(
            lambda code: Appointment.objects.create(
                service_point_id=service.service_point_id,
                province_id=_province_of(service),
                service=service,
                day=day,
                starts_at=starts_at,
                ends_at=slots.slot_end(service, day, starts_at),
                phone=phone,
                code=code,
                token=secrets.token_urlsafe(18),
            )
        )
        record(
            "queue.appointment_booked",
            request=request,
            actor=None,
            obj=appointment,
            service_point_id=service.service_point_id,
            details={
                "code": appointment.code,
                "service": service.letter,
                "day": day,
                "from": starts_at,
            },
        )
        _sms(appointment, "queue_appointment_booked")
    return appointment


def cancel_appointment(
    appointment: Appointment, *, request: HttpRequest | None = None
) -> Appointment:
    with transaction.atomic():
        appointment = lock_one(Appointment, appointment.pk)
        if appointment.state != Appointment.State.BOOKED:
            raise QueueError(_("This appointment can no longer be cancelled."))
        appointment.state = Appointment.State.CANCELLED
        appointment.save(update_fields=["state", "changed_at"])
        record(
            "queue.appointment_cancelled",
            request=request,
            actor=None,
            obj=appointment,
            service_point_id=appointment.service_point_id,
            details={"code": appointment.code},
        )
    return appointment


def check_in(point: ServicePoint, code: str, *, request: HttpRequest | None = None) -> Ticket:
    """The citizen arrives with the appointment's code: it becomes a ticket that goes
    ahead of the walk-ins. Only today's appointments at this point, until the slot's end
    and the grace after it."""
    code = "".join(code.split()).upper().replace("-", "")
    # The audit chain's head, which every audited step in the network shares, is taken
    # at the end, not held while the ticket is issued.
    with transaction.atomic(), chained_at_end():
        found = Appointment.objects.filter(
            service_point=point, code=code, day=timezone.localdate()
        ).first()
        if found is None:
            raise QueueError(_("No appointment today at this post office has this code."))
        appointment = lock_one(Appointment, found.pk)
        if appointment.state != Appointment.State.BOOKED:
            raise QueueError(_("This appointment has already been used or cancelled."))
        ends = datetime.combine(
            appointment.day, appointment.ends_at, tzinfo=timezone.get_current_timezone()
        )
        if timezone.now() > ends + NO_SHOW_GRACE:
            raise QueueError(_("This appointment's time has passed. Take an ordinary ticket."))
        appointment.state = Appointment.State.CHECKED_IN
        appointment.save(update_fields=["state", "changed_at"])
        record(
            "queue.appointment_checked_in",
            request=request,
            obj=appointment,
            service_point_id=point.pk,
            details={"code": appointment.code},
        )
        ticket = issue_ticket(appointment.service, request=request, appointment=appointment)
    return ticket


def send_reminders(day: date | None = None) -> int:
    """SMS the day before to every appointment of `day` (tomorrow by default) not yet
    reminded; returns how many."""
    day = day or timezone.localdate() + timedelta(days=1)
    sent = 0
    pending = Appointment.objects.filter(
        day=day, state=Appointment.State.BOOKED, reminded_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(pending):
        with transaction.atomic():
            appointment = lock_one(Appointment, pk)
            if appointment.reminded_at is not None or appointment.state != "booked":
                continue
            appointment.reminded_at = timezone.now()
            appointment.save(update_fields=["reminded_at"])
            _sms(appointment, "queue_appointment_reminder")
            sent += 1
    return sent


def mark_missed_appointments(now: datetime | None = None) -> int:
    """Appointments not checked in by the end of their slot and the grace: no-shows."""
    now = timezone.localtime(now or timezone.now())
    missed = 0
    candidates = Appointment.objects.filter(state=Appointment.State.BOOKED, day__lte=now.date())
    for appointment in list(candidates):
        ends = datetime.combine(appointment.day, appointment.ends_at, tzinfo=now.tzinfo)
        if now <= ends + NO_SHOW_GRACE:
            continue
        with transaction.atomic():
            locked = lock_one(Appointment, appointment.pk)
            if locked.state != Appointment.State.BOOKED:
                continue
            locked.state = Appointment.State.NO_SHOW
            locked.save(update_fields=["state", "changed_at"])
            record(
                "queue.appointment_missed",
                obj=locked,
                service_point_id=locked.service_point_id,
                details={"code": locked.code},
            )
            missed += 1
    return missed
