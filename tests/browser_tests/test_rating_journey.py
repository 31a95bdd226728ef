"""A citizen rates a delivered dossier in Chromium through the SMS link: sending without
stars is told in Vietnamese with the comment kept, then the rating is taken once; the page
passes axe-core's WCAG 2.1 AA rules."""

from __future__ import annotations

import re

import pytest
import time_machine
from playwright.sync_api import expect

from postgov.dossiers.models import DossierRating
from postgov.notify.models import Message
from tests.agency_helpers import at, handed_over, move
from tests.browser_tests.test_accessibility import violations
from tests.browser_tests.test_intake_journey import shot

pytestmark = [pytest.mark.browser, pytest.mark.clock]


def test_a_citizen_rates_the_handling_of_a_delivered_dossier(page, world):
    with time_machine.travel(at("2026-11-23 09:00"), tick=False):
        dossier = handed_over(world)
        move(dossier, "accept", world.agency_receiver)
        move(dossier, "result_ready", world.agency_officer)
        move(dossier, "deliver_at_agency", world.agency_receiver)
    _, text = Message.objects.get(template="dossier_rating", object_id=str(dossier.pk)).outgoing()
    path = re.search(r"https?://[^/]+(/\S+)", text).group(1)

    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert dossier.code in page.content()
    assert violations(page) == []
    comment = page.locator("textarea[name=comment]")
    comment.fill("Nhân viên hướng dẫn tận tình")
    page.get_by_role("button").filter(has_text="Gửi").click()
    page.wait_for_load_state()
    assert "chọn từ 1 đến 5 sao" in page.locator(".text-danger").inner_text()
    assert comment.input_value() == "Nhân viên hướng dẫn tận tình"
    assert DossierRating.objects.get().stars is None
    shot(page, "rating-1-no-stars")

    page.locator("input[name=stars][value='4']").check()
    page.get_by_role("button").filter(has_text="Gửi").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-success")).to_have_text("Cảm ơn Ông/Bà đã đánh giá.")
    rating = DossierRating.objects.get()
    assert (rating.stars, rating.comment) == (4, "Nhân viên hướng dẫn tận tình")
    shot(page, "rating-2-thanks")
    page.goto(path)
    expect(page.locator(".alert-success")).to_be_visible()  # already rated, nothing more asked
    assert page.locator("input[name=stars]").count() == 0
