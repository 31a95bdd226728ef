"""Tickets: numbering, the order of calls, transfers, no-shows, the events they leave and
the day's figures read back from those events."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction

from postgov.audit.models import AuditEvent
from postgov.lib.locking import lock_one
from postgov.queues import actions, figures, queries, slots
from postgov.queues.models import Counter, Ticket, TicketEvent

pytestmark = pytest.mark.clock


def test_numbers_run_per_service_and_restart_each_day(room, _pinned_clock):
    labels = [actions.issue_ticket(s).label for s in (room.a, room.a, room.b, room.a)]
    assert labels == ["A001", "A002", "B001", "A003"]
    _pinned_clock.shift(timedelta(days=1))
    assert actions.issue_ticket(room.a).label == "A001"
    tokens = set(Ticket.objects.values_list("token", flat=True))
    assert len(tokens) == 5 and all(len(t) >= 24 for t in tokens)


def test_each_step_is_an_event_and_only_a_transfer_an_audit_record(room):
    ticket = actions.issue_ticket(room.a)
    actions.call_next(room.counter_1)
    actions.recall(ticket, room.counter_1)
    actions.transfer(ticket, room.counter_1, room.b)
    actions.call_next(room.counter_2)
    actions.no_show(ticket, room.counter_2)
    other = actions.issue_ticket(room.a)
    actions.call_next(room.counter_1)
    actions.end_service(other, room.counter_1)
    actions.rate(other, 4)
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == ["arrived", "called", "recalled", "transferred", "called", "no_show"]
    assert list(other.events.values_list("kind", flat=True)) == [
        "arrived",
        "called",
        "ended",
        "rated",
    ]
    # Where each step happened is on its event (and who did it, when a clerk did).
    assert list(ticket.events.filter(kind="called").values_list("counter_id", flat=True)) == [
        room.counter_1.pk,
        room.counter_2.pk,
    ]
    # The ticket's own log is its record; the audit trail keeps the transfer only.
    audited = list(
        AuditEvent.objects.filter(object_type="queues.ticket").values_list("action", flat=True)
    )
    assert audited == ["queue.ticket_transferred"]
    event = ticket.events.first()
    event.details = {"changed": True}
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def book_today(room):
    """An appointment in the next free slot of today (the pinned clock is a Tuesday
    morning), booked as the citizen would."""
    slot = next(s for s in slots.free_slots(room.a) if s.day == slots.timezone.localdate())
    return actions.book_appointment(room.a, slot.day, slot.starts_at, "0987654321")


def test_checked_in_appointments_are_called_before_walk_ins(room, world):
    walk_in_1 = actions.issue_ticket(room.a)
    walk_in_2 = actions.issue_ticket(room.a)
    appointment = book_today(room)
    booked = actions.check_in(world.point_a, appointment.code.lower())
    assert booked.priority and booked.label == "A003"
    assert queries.standing(walk_in_1).ahead == 1
    called = []
    for _ in range(3):
        ticket = actions.call_next(room.counter_1)
        called.append(ticket.label)
        actions.end_service(ticket, room.counter_1)
    assert called == [booked.label, walk_in_1.label, walk_in_2.label]
    assert actions.call_next(room.counter_1) is None


def test_a_counter_finishes_its_ticket_before_calling_the_next(room):
    actions.issue_ticket(room.a)
    actions.issue_ticket(room.a)
    actions.call_next(room.counter_1)
    with pytest.raises(actions.QueueError):
        actions.call_next(room.counter_1)


def test_a_counter_calls_only_its_services(room):
    actions.issue_ticket(room.b)
    assert actions.call_next(room.counter_1) is None
    assert actions.call_next(room.counter_2).label == "B001"


def test_a_transferred_ticket_keeps_its_place_by_issue_time(room, _pinned_clock):
    first = actions.issue_ticket(room.a)
    _pinned_clock.shift(timedelta(minutes=2))
    later_b = actions.issue_ticket(room.b)
    actions.call_next(room.counter_1)
    moved = actions.transfer(first, room.counter_1, room.b)
    assert moved.state == Ticket.State.WAITING and moved.label == "A001"
    with pytest.raises(actions.QueueError):
        actions.transfer(moved, room.counter_1, room.b)  # no longer at this counter
    assert actions.call_next(room.counter_1) is None  # counter 1 does not serve B
    assert actions.call_next(room.counter_2).pk == first.pk
    assert queries.standing(later_b).ahead == 0
    kinds = list(first.events.values_list("kind", flat=True))
    assert kinds == ["arrived", "called", "transferred", "called"]
    assert first.events.get(kind="transferred").details == {"previous": "A"}


def test_called_and_nobody_came(room):
    ticket = actions.issue_ticket(room.a)
    actions.call_next(room.counter_1)
    actions.no_show(ticket, room.counter_1)
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.NO_SHOW
    assert actions.current_ticket(room.counter_1) is None
    with pytest.raises(actions.QueueError):
        actions.end_service(ticket, room.counter_1)


def test_one_rating_per_ticket_after_the_service(room):
    ticket = actions.issue_ticket(room.a)
    with pytest.raises(actions.QueueError):
        actions.rate(ticket, 5)
    actions.call_next(room.counter_1)
    actions.end_service(ticket, room.counter_1)
    with pytest.raises(actions.QueueError):
        actions.rate(ticket, 6)
    actions.rate(ticket, 4)
    with pytest.raises(actions.QueueError):
        actions.rate(ticket, 5)
    assert Ticket.objects.get(pk=ticket.pk).rating == 4


def test_the_days_figures_match_a_hand_count(room, world):
    """09:00 A001, 09:05 A002, 09:06 A003 and 09:07 B001 arrive. Counter 1 calls A001 at
    09:10 (waited 10 min) and ends at 09:18 (8 min); calls A002 at 09:20 (15 min: on the
    target) and ends at 09:26 (6 min); calls A003 at 09:30 (24 min), who does not come.
    Counter 2, for B only today, calls B001 at 09:12 (5 min), sends it to A at 09:14
    (2 min of service); counter 1 calls it again at 09:40 and ends at 09:45 (5 min).
    A001 is rated 4."""
    room.counter_2.services.set([room.b])
    day = datetime(2026, 3, 10, tzinfo=slots.timezone.get_current_timezone()).date()

    def at(hhmm):
        h, m = hhmm.split(":")
        return datetime(2026, 3, 10, int(h), int(m), tzinfo=slots.timezone.get_current_timezone())

    with time_machine.travel(at("09:00"), tick=False) as clock:
        a1 = actions.issue_ticket(room.a)
        clock.move_to(at("09:05"))
        a2 = actions.issue_ticket(room.a)
        clock.move_to(at("09:06"))
        a3 = actions.issue_ticket(room.a)
        clock.move_to(at("09:07"))
        b1 = actions.issue_ticket(room.b)
        clock.move_to(at("09:10"))
        assert actions.call_next(room.counter_1).pk == a1.pk
        clock.move_to(at("09:12"))
        assert actions.call_next(room.counter_2).pk == b1.pk
        clock.move_to(at("09:14"))
        actions.transfer(b1, room.counter_2, room.a)
        clock.move_to(at("09:18"))
        actions.end_service(a1, room.counter_1)
        actions.rate(a1, 4)
        clock.move_to(at("09:20"))
        # B001 was issued at 09:07, after A002 (09:05): A002 comes first.
        assert actions.call_next(room.counter_1).pk == a2.pk
        clock.move_to(at("09:26"))
        actions.end_service(a2, room.counter_1)
        clock.move_to(at("09:30"))
        assert actions.call_next(room.counter_1).pk == a3.pk
        actions.no_show(a3, room.counter_1)
        clock.move_to(at("09:40"))
        assert actions.call_next(room.counter_1).pk == b1.pk
        clock.move_to(at("09:45"))
        actions.end_service(b1, room.counter_1)

    found = figures.day_figures(world.point_a.pk, day)
    total, line_a, line_b = found[None], found[room.a], found[room.b]
    assert (total.issued, total.served, total.no_shows) == (4, 3, 1)
    assert sorted(total.waits) == [5, 10, 15, 24]  # B001's first wait only
    assert total.mean_wait == 13.5 and total.longest_wait == 24
    assert sorted(total.services) == [2, 5, 6, 8]
    assert total.mean_service == 5.2  # 21 / 4 = 5.25
    assert total.within_target == 3  # 10, 15 of 15 for A; 5 of 10 for B; not 24
    assert total.within_target_share == 75.0
    assert total.mean_rating == 4.0
    assert (line_a.issued, line_a.served, line_a.no_shows, line_a.within_target_share) == (
        3,
        2,
        1,
        66.7,
    )
    assert (line_b.issued, line_b.served, sorted(line_b.services)) == (1, 1, [2, 5])
    assert TicketEvent.objects.filter(day=day).count() == 15


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_get_distinct_numbers_without_gaps(room):
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def kiosk():
        try:
            start.wait()
            for _ in range(10):
                actions.issue_ticket(room.a)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=kiosk) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 41))


def test_a_closed_counter_calls_nobody(room):
    actions.issue_ticket(room.a)
    room.counter_1.active = False
    with pytest.raises(actions.QueueError):
        actions.call_next(room.counter_1)
    assert Ticket.objects.get().state == Ticket.State.WAITING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_counters_calling_at_once_never_share_a_ticket_and_keep_the_line_order(room):
    counters = [room.counter_1, room.counter_2]
    for number in range(3, 7):
        counter = Counter.objects.create(service_point=room.a.service_point, number=number)
        counter.services.set([room.a])
        counters.append(counter)
    tickets = [actions.issue_ticket(room.a) for _ in range(30)]
    errors: list[BaseException] = []
    called: dict[int, list[int]] = {counter.pk: [] for counter in counters}
    start = threading.Barrier(len(counters))

    def desk(counter: Counter) -> None:
        try:
            start.wait()
            while (ticket := actions.call_next(counter)) is not None:
                called[counter.pk].append(ticket.number)
                actions.end_service(ticket, counter)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=desk, args=(c,)) for c in counters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    every_call = sorted(n for numbers in called.values() for n in numbers)
    assert every_call == [t.number for t in tickets]
    # Each counter took its tickets in line order.
    assert all(numbers == sorted(numbers) for numbers in called.values())
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.CALLED).count() == 30
    assert not AuditEvent.objects.filter(object_type="queues.ticket").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_ticket_another_counter_is_taking_is_passed_over_not_waited_for(room):
    first = actions.issue_ticket(room.a)
    second = actions.issue_ticket(room.a)
    held, release = threading.Event(), threading.Event()

    def other_counter_taking_the_first() -> None:
        try:
            with transaction.atomic():
                lock_one(Ticket, first.pk)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=other_counter_taking_the_first)
    other.start()
    try:
        assert held.wait(10)
        assert actions.call_next(room.counter_1).pk == second.pk
    finally:
        release.set()
        other.join()
    # Still first in line for the next press once nobody holds it.
    assert actions.call_next(room.counter_2).pk == first.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_press_that_waited_for_the_counter_sees_the_call_before_it(room):
    actions.issue_ticket(room.a)
    actions.issue_ticket(room.a)
    held, release = threading.Event(), threading.Event()
    second: list[object] = []

    def first_press() -> None:
        try:
            with transaction.atomic():
                actions.call_next(room.counter_1)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    def second_press() -> None:
        try:
            second.append(actions.call_next(room.counter_1))
        except actions.QueueError as exc:
            second.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=first_press)
    first.start()
    assert held.wait(10)
    other = threading.Thread(target=second_press)
    other.start()
    try:
        # Until the second press waits for the counter's lock.
        for _ in range(500):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    break
            threading.Event().wait(0.02)
    finally:
        release.set()
        first.join()
        other.join()
    assert len(second) == 1 and isinstance(second[0], actions.QueueError)
    assert Ticket.objects.filter(state=Ticket.State.CALLED).count() == 1
