"""The queue's pages: who may open them, what they show, what bad input says."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from postgov.notify.models import Message
from postgov.queues import actions, slots, views
from postgov.queues.models import Appointment, DisplayScreen, Ticket

pytestmark = pytest.mark.clock


def test_a_clerk_issues_prints_and_calls_a_ticket(client, room, clerk_a):
    client.force_login(clerk_a)
    response = client.post(
        reverse("queues:issue", args=[room.a.service_point_id]), {"service": room.a.pk}
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "queues:ticket_print", args=[ticket.pk]
    )
    page = client.get(response.url).content.decode()
    assert "A001" in page and "<svg" in page and ticket.token in page
    response = client.post(
        reverse("queues:counter_step", args=[room.counter_1.pk]), {"step": "call_next"}
    )
    assert response.status_code == 302
    page = client.get(reverse("queues:counter", args=[room.counter_1.pk])).content.decode()
    assert "A001" in page
    client.post(reverse("queues:counter_step", args=[room.counter_1.pk]), {"step": "end"})
    assert Ticket.objects.get().state == Ticket.State.DONE


def test_staff_of_another_point_and_outsiders_are_refused(
    client, room, clerk_b, outsider, postman_a
):
    ticket = actions.issue_ticket(room.a)
    point = room.a.service_point_id
    pages = [
        ("get", reverse("queues:issue", args=[point])),
        ("post", reverse("queues:issue", args=[point])),
        ("post", reverse("queues:check_in", args=[point])),
        ("get", reverse("queues:ticket_print", args=[ticket.pk])),
        ("get", reverse("queues:counter", args=[room.counter_1.pk])),
        ("post", reverse("queues:counter_step", args=[room.counter_1.pk])),
        ("get", reverse("queues:figures", args=[point])),
        ("get", reverse("queues:screens", args=[point])),
    ]
    for user in (clerk_b, outsider, postman_a):
        client.force_login(user)
        for method, url in pages:
            assert getattr(client, method)(url).status_code == 403, (user, url)
    assert Ticket.objects.count() == 1


def test_a_clerk_cannot_see_figures_or_screens(client, room, clerk_a):
    client.force_login(clerk_a)
    point = room.a.service_point_id
    assert client.get(reverse("queues:figures", args=[point])).status_code == 403
    assert client.get(reverse("queues:screens", args=[point])).status_code == 403


def test_the_follow_page_shows_the_place_in_line_and_takes_one_rating(client, room):
    first = actions.issue_ticket(room.a)
    second = actions.issue_ticket(room.a)
    url = reverse("queues:follow", args=[second.token])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A002" in page and "1 person ahead of you" in page
    assert client.get(reverse("queues:follow", args=["not-a-token"])).status_code == 404
    actions.call_next(room.counter_1)
    actions.end_service(first, room.counter_1)
    first_url = reverse("queues:follow", args=[first.token])
    bad = client.post(first_url, {"stars": "9"}, HTTP_ACCEPT_LANGUAGE="vi")
    assert bad.status_code == 400 and "Hãy chọn từ 1 đến 5 sao." in bad.content.decode()
    assert client.post(first_url, {"stars": "5"}).status_code == 302
    again = client.post(first_url, {"stars": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "already been rated" in again.content.decode()
    assert Ticket.objects.get(pk=first.pk).rating == 5


def test_the_display_needs_a_live_screen_token_and_shows_numbers_only(client, room, supervisor_a):
    ticket = actions.issue_ticket(room.a)
    actions.call_next(room.counter_2)
    waiting = actions.issue_ticket(room.a)
    client.force_login(supervisor_a)
    response = client.post(
        reverse("queues:screens", args=[room.a.service_point_id]), {"name": "Sảnh"}
    )
    page = response.content.decode()
    screen = DisplayScreen.objects.get()
    url = page.split("data-screen-url>")[1].split("<")[0].strip()
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert screen.token_hash == actions.screen_token_hash(token) and token not in screen.token_hash
    client.logout()
    board = client.get(
        reverse("queues:display", args=[token]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert ticket.label in board and waiting.label in board
    assert ticket.token not in board and waiting.token not in board
    assert client.get(reverse("queues:display", args=["guess"])).status_code == 404
    client.force_login(supervisor_a)
    client.post(reverse("queues:screen_revoke", args=[screen.pk]))
    client.logout()
    assert client.get(reverse("queues:display", args=[token])).status_code == 404
    # A screen polling with a revoked token reloads (and then shows nothing).
    polled = client.get(reverse("queues:display", args=[token]), HTTP_HX_REQUEST="true")
    assert polled.status_code == 404 and polled["HX-Refresh"] == "true"


def test_bad_input_is_explained_in_the_pages_language(client, room, clerk_a):
    client.force_login(clerk_a)
    url = reverse("queues:check_in", args=[room.a.service_point_id])
    vi = client.post(url, {"code": "ZZZZ"}, HTTP_ACCEPT_LANGUAGE="vi")
    en = client.post(url, {"code": "ZZZZ"}, HTTP_ACCEPT_LANGUAGE="en")
    assert vi.status_code == en.status_code == 400
    assert "Không có lịch hẹn hôm nay tại bưu cục này với mã này." in vi.content.decode()
    assert "No appointment today at this post office has this code." in en.content.decode()
    issue = reverse("queues:issue", args=[room.a.service_point_id])
    assert (
        "Hãy chọn một dịch vụ."
        in client.post(issue, {}, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    )
    assert "Choose a service." in client.post(issue, {}, HTTP_ACCEPT_LANGUAGE="en").content.decode()


# -- appointments -----------------------------------------------------------------------------


def first_slot(room):
    return slots.free_slots(room.a)[0]


def test_booking_sends_a_code_and_the_slot_fills_up(client, room):
    slot = first_slot(room)
    url = reverse("queues:book", args=[room.a.service_point_id, "A"])
    for phone in ("0987654321", "0912345678"):
        response = client.post(url, {"slot": slot.value, "phone": phone})
        assert response.status_code == 302
    assert Appointment.objects.filter(day=slot.day, starts_at=slot.starts_at).count() == 2
    full = client.post(url, {"slot": slot.value, "phone": "0977777777"}, HTTP_ACCEPT_LANGUAGE="en")
    assert full.status_code == 400 and "That time is no longer free" in full.content.decode()
    with pytest.raises(actions.QueueError):
        actions.book_appointment(room.a, slot.day, slot.starts_at, "0977777777")
    sms = Message.objects.filter(template="queue_appointment_booked")
    first = Appointment.objects.get(phone="0987654321")
    assert sms.count() == 2 and first.code in sms.get(object_id=str(first.pk)).body
    assert "0987654321" not in response.url


def test_one_phone_number_books_only_a_few_a_day(client, room):
    url = reverse("queues:book", args=[room.a.service_point_id, "A"])
    free = slots.free_slots(room.a)
    for slot in free[: views.BOOKINGS_PER_PHONE_PER_DAY]:
        assert client.post(url, {"slot": slot.value, "phone": "0987654321"}).status_code == 302
    slot = free[views.BOOKINGS_PER_PHONE_PER_DAY]
    refused = client.post(
        url, {"slot": slot.value, "phone": "0987654321"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 429 and "Too many bookings" in refused.content.decode()
    assert Appointment.objects.count() == views.BOOKINGS_PER_PHONE_PER_DAY


def test_a_bad_phone_number_is_explained_and_the_choice_kept(client, room):
    slot = first_slot(room)
    url = reverse("queues:book", args=[room.a.service_point_id, "A"])
    vi = client.post(url, {"slot": slot.value, "phone": "123"}, HTTP_ACCEPT_LANGUAGE="vi")
    en = client.post(url, {"slot": slot.value, "phone": "123"}, HTTP_ACCEPT_LANGUAGE="en")
    assert vi.status_code == en.status_code == 400
    assert "Not a valid Vietnamese phone number." in en.content.decode()
    assert "Not a valid" not in vi.content.decode()
    assert f'value="{slot.value}" selected' in en.content.decode()
    assert not Appointment.objects.exists()


def test_the_citizen_cancels_by_the_link(client, room):
    slot = first_slot(room)
    appointment = actions.book_appointment(room.a, slot.day, slot.starts_at, "0987654321")
    url = reverse("queues:appointment", args=[appointment.token])
    assert appointment.code in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.CANCELLED
    assert client.get(reverse("queues:appointment", args=["nothing"])).status_code == 404


def test_reminders_go_the_day_before_once(room):
    tomorrow = next(s for s in slots.free_slots(room.a) if s.day > timezone.localdate())
    booked = actions.book_appointment(room.a, tomorrow.day, tomorrow.starts_at, "0987654321")
    later = next(s for s in slots.free_slots(room.a) if s.day > tomorrow.day)
    actions.book_appointment(room.a, later.day, later.starts_at, "0912345678")
    assert actions.send_reminders(tomorrow.day) == 1
    assert actions.send_reminders(tomorrow.day) == 0
    reminder = Message.objects.get(template="queue_appointment_reminder")
    assert booked.code in reminder.body and reminder.object_id == str(booked.pk)


def test_an_appointment_not_checked_in_by_its_end_and_grace_is_missed(room, world, _pinned_clock):
    slot = first_slot(room)
    appointment = actions.book_appointment(room.a, slot.day, slot.starts_at, "0987654321")
    ends = timezone.make_aware(timezone.datetime.combine(slot.day, slot.ends_at))
    assert actions.mark_missed_appointments(ends + actions.NO_SHOW_GRACE) == 0
    _pinned_clock.move_to(ends + actions.NO_SHOW_GRACE + timedelta(minutes=1))
    with pytest.raises(actions.QueueError):
        actions.check_in(world.point_a, appointment.code)
    assert actions.mark_missed_appointments() == 1
    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.NO_SHOW


def test_the_supervisor_reads_the_days_figures(client, room, supervisor_a):
    ticket = actions.issue_ticket(room.a)
    actions.call_next(room.counter_1)
    actions.end_service(ticket, room.counter_1)
    client.force_login(supervisor_a)
    url = reverse("queues:figures", args=[room.a.service_point_id])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Mean wait (min)" in page and "100.0%" in page
    bad = client.get(url, {"day": "31/02"}, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Ngày nhập không hợp lệ; đang hiện hôm nay." in bad


def test_a_transfer_without_a_service_is_explained(client, room, clerk_a):
    actions.issue_ticket(room.a)
    actions.call_next(room.counter_1)
    client.force_login(clerk_a)
    url = reverse("queues:counter_step", args=[room.counter_1.pk])
    vi = client.post(url, {"step": "transfer"}, HTTP_ACCEPT_LANGUAGE="vi")
    en = client.post(url, {"step": "transfer", "service": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert vi.status_code == en.status_code == 400
    assert "Hãy chọn một dịch vụ." in vi.content.decode()
    assert "Choose a service." in en.content.decode()
    moved = client.post(url, {"step": "transfer", "service": room.b.pk})
    assert moved.status_code == 302
    assert Ticket.objects.get().service_id == room.b.pk


# A statement that reads the ticket table (as the ORM writes it, or as written out).
TICKET_READ = re.compile(r'\bFROM "?queues_ticket"?[ \n]')


def _on_postgresql() -> bool:
    # On PostgreSQL a step's lock, update and event are one statement.
    return connection.vendor == "postgresql"


def _statements(captured) -> list[str]:
    # Savepoints depend on whether the test already runs in a transaction; not counted.
    return [
        q["sql"]
        for q in captured
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))
    ]


def test_call_next_is_six_statements(client, room, clerk_a):
    """The session, its user and roles, the counter; then, in the transaction, the
    counter's lock and one statement that locks the ticket (reading whether the counter
    is serving), marks it called and writes its event. Elsewhere than on PostgreSQL the
    ticket's lock, update and event are three statements. No audit chain: a call waits
    on no row shared beyond its own counter."""
    client.force_login(clerk_a)
    for _ in range(3):
        actions.issue_ticket(room.a)
    url = reverse("queues:counter_step", args=[room.counter_1.pk])
    client.post(url, {"step": "call_next"})
    client.post(url, {"step": "end"})
    with CaptureQueriesContext(connection) as captured:
        assert client.post(url, {"step": "call_next"}).status_code == 302
    statements = _statements(captured.captured_queries)
    assert len(statements) == (6 if _on_postgresql() else 8), "\n".join(statements)
    assert not any("audit" in sql for sql in statements)
    assert Ticket.objects.filter(state=Ticket.State.CALLED, counter=room.counter_1).count() == 1
    # A second press while serving calls nobody.
    assert client.post(url, {"step": "call_next"}).status_code == 302
    assert Ticket.objects.filter(state=Ticket.State.CALLED).count() == 1


HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "desk", "HTTP_ACCEPT_LANGUAGE": "en"}


def test_from_the_page_a_step_answers_the_desk_and_the_line_in_few_statements(
    client, room, clerk_a
):
    """The page's htmx posts a step and swaps in the desk the answer carries, and the
    waiting line's counts swapped out of band into their own place: no redirect, no page.
    Call next: the session, its user and roles, the counter, the two statements of the call
    on PostgreSQL (four elsewhere), the point's services (the transfer's choices, which
    name the ticket's service too) and the line counted per service in one statement. End:
    the session, user, roles and counter, then on PostgreSQL one statement finds and locks
    the counter's ticket, ends it and writes its event (elsewhere three), and the line."""
    client.force_login(clerk_a)
    first, second = actions.issue_ticket(room.a), actions.issue_ticket(room.a)
    third = actions.issue_ticket(room.a)
    url = reverse("queues:counter_step", args=[room.counter_1.pk])
    client.post(url, {"step": "call_next"}, **HTMX)
    client.post(url, {"step": "end"}, **HTMX)
    with CaptureQueriesContext(connection) as called:
        response = client.post(url, {"step": "call_next"}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and 'id="desk"' in page and "<html" not in page
    assert second.label in page and "Administrative procedures" in page
    assert "End service" in page
    # The ticket just called has left the line's count: only the third waits.
    line = page[page.index('<div class="col-md-6" id="line"') :]
    assert 'hx-swap-oob="true"' in line and 'hx-trigger="every 10s"' in line
    assert re.findall(r'<td class="text-end">(\d+)</td>', line) == ["1"]
    with CaptureQueriesContext(connection) as ended:
        response = client.post(url, {"step": "end"}, **HTMX)
    ended_page = response.content.decode()
    assert response.status_code == 200 and "Call next" in ended_page
    assert re.findall(r'<td class="text-end">(\d+)</td>', ended_page) == ["1"]
    call_statements, end_statements = (
        _statements(called.captured_queries),
        _statements(ended.captured_queries),
    )
    postgresql = _on_postgresql()
    assert len(call_statements) == (8 if postgresql else 10), "\n".join(call_statements)
    assert len(end_statements) == (6 if postgresql else 8), "\n".join(end_statements)
    # The ticket is read once, by its lock, not read and then locked; the line's counts
    # (the services joined to their waiting tickets) are one statement more, the last.
    assert sum(bool(TICKET_READ.search(sql)) for sql in end_statements) == 1
    assert "COUNT(" in end_statements[-1] and "COUNT(" in call_statements[-1]
    assert not any("COUNT(" in sql for sql in end_statements[:-1])
    assert [t.state for t in Ticket.objects.order_by("pk")] == [Ticket.State.DONE] * 2 + [
        Ticket.State.WAITING
    ]
    assert first.pk != second.pk != third.pk
    # A step that is not possible says why, in the desk, and changes nothing.
    refused = client.post(url, {"step": "end"}, **HTMX)
    assert refused.status_code == 200
    assert "No ticket is being served at this counter." in refused.content.decode()
    assert re.findall(r'<td class="text-end">(\d+)</td>', refused.content.decode()) == ["1"]


def test_without_script_a_step_redirects_to_the_page_with_the_line(client, room, clerk_a):
    client.force_login(clerk_a)
    actions.issue_ticket(room.a)
    actions.issue_ticket(room.a)
    url = reverse("queues:counter_step", args=[room.counter_1.pk])
    response = client.post(url, {"step": "call_next"})
    assert response.status_code == 302
    assert response.url == reverse("queues:counter", args=[room.counter_1.pk])
    page = client.get(response.url).content.decode()
    assert re.findall(r'<td class="text-end">(\d+)</td>', page) == ["1"]
    # the page's own line is polled, not swapped out of band
    assert "hx-swap-oob" not in page


def test_the_pages_poll_of_the_line_renders_the_line_alone(client, room, clerk_a):
    """The session, its user and roles, the counter, and one statement counting the line
    per service; nothing for the page around it."""
    client.force_login(clerk_a)
    for _ in range(3):
        actions.issue_ticket(room.a)
    actions.issue_ticket(room.b)
    url = reverse("queues:counter", args=[room.counter_2.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="line")
    part = response.content.decode()
    statements = _statements(captured.captured_queries)
    assert response.status_code == 200 and 'id="line"' in part and "<html" not in part
    assert len(statements) == 5, "\n".join(statements)
    counts = re.findall(r'<td class="text-end">(\d+)</td>', part)
    assert counts == ["3", "1"]
    page = client.get(url).content.decode()
    assert re.findall(r'<td class="text-end">(\d+)</td>', page) == ["3", "1"]


def test_an_unchanged_board_answers_not_modified_and_a_call_changes_it(
    client, room, django_capture_on_commit_callbacks
):
    actions.issue_ticket(room.a)
    _screen, token = actions.create_screen(room.a.service_point, "Sảnh")
    url = reverse("queues:display", args=[token])
    first = client.get(url, HTTP_HX_REQUEST="true")
    etag = first["ETag"]
    assert first.status_code == 200 and "no-cache" in first["Cache-Control"]
    assert "HX-Request" in first["Vary"]
    again = client.get(url, HTTP_HX_REQUEST="true", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and not again.content
    # A call shows at the next poll, not once the shared reading expires.
    with django_capture_on_commit_callbacks(execute=True):
        called = actions.call_next(room.counter_1)
    after = client.get(url, HTTP_HX_REQUEST="true", HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200 and after["ETag"] != etag
    assert called.label in after.content.decode()
    # The page itself is not answered from the poll's ETag.
    assert client.get(url, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 200
