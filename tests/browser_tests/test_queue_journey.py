"""The waiting room in Chromium: a clerk issues a ticket, calls it from a counter, and the
waiting-room screen (opened by its token) shows it, then picks up the next ticket by
itself through htmx polling."""

from __future__ import annotations

import pytest

from postgov.queues import actions
from postgov.queues.models import Counter, QueueService
from tests.browser import log_in
from tests.browser_tests.test_intake_journey import shot

pytestmark = [pytest.mark.browser, pytest.mark.clock]


def test_issue_call_and_the_screen_shows_it(page, world, clerk_a):
    service = QueueService.objects.create(
        service_point=world.point_a, letter="A", kind=QueueService.Kind.ADMINISTRATIVE
    )
    counter = Counter.objects.create(service_point=world.point_a, number=3)
    counter.services.set([service])
    _screen, token = actions.create_screen(world.point_a, "Sảnh chính")

    log_in(page, "clerk_a")
    page.goto(f"/queues/points/{world.point_a.pk}/issue/")
    page.get_by_label("Thủ tục hành chính").check()
    page.get_by_role("button", name="In số thứ tự").click()
    page.locator("[data-ticket]").wait_for()
    assert page.locator("[data-ticket]").inner_text() == "A001"
    assert page.locator(".pg-ticket-qr svg").count() == 1
    shot(page, "queue-ticket")

    page.goto(f"/queues/counters/{counter.pk}/")
    page.get_by_role("button", name="Gọi số tiếp theo").click()
    assert page.locator("[data-current]").inner_text() == "A001"
    shot(page, "queue-counter")

    screen = page.context.new_page()
    screen.goto(f"/queues/display/{token}/")
    assert screen.locator("[data-serving]").first.inner_text() == "A001"
    assert "Quầy 3" in screen.locator(".pg-board").inner_text()

    # Another ticket: the screen, left alone, shows it among the next numbers.
    page.goto(f"/queues/points/{world.point_a.pk}/issue/")
    page.get_by_label("Thủ tục hành chính").check()
    page.get_by_role("button", name="In số thứ tự").click()
    screen.locator("[data-next]", has_text="A002").wait_for(timeout=10_000)
    shot(screen, "queue-display")
    screen.close()

    # The counter's steps swap its desk in place (htmx): ending shows "call next" again,
    # and the next call the second ticket, without the page being loaded again.
    page.goto(f"/queues/counters/{counter.pk}/")
    page.evaluate("window.pgSamePage = true")
    waiting = page.locator("#line td.text-end")
    assert waiting.inner_text() == "1"  # A002
    polls: list[str] = []
    page.on(
        "request",
        lambda request: (
            polls.append(request.url) if request.headers.get("hx-target") == "line" else None
        ),
    )
    page.get_by_role("button", name="Kết thúc phục vụ").click()
    page.get_by_role("button", name="Gọi số tiếp theo").click()
    page.locator("[data-current]", has_text="A002").wait_for()
    assert page.evaluate("window.pgSamePage") is True
    # The call's own answer brought the line's counts: A002 has left them at once, not
    # at the line's next poll (none was sent).
    assert waiting.inner_text() == "0"
    assert polls == []
