"""The reports dashboard's charts: drawn from the daily roll-ups and the figures the page
already counts, each beside its table, in a bounded number of queries."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from postgov.reports.rollups import update_day
from postgov.reports.tests.test_rollups import _generate
from postgov.reports.tests.test_service_figures import EVERY_DAY, _more
from tests.agency_helpers import at

pytestmark = pytest.mark.clock

DASHBOARD = reverse("reports:dashboard")


def test_a_provincial_admin_sees_the_charts_beside_their_tables(
    client, world, django_assert_max_num_queries
):
    made = _generate(world)
    _more(world, made)
    for day in EVERY_DAY:
        update_day(day)
    with time_machine.travel(at("2026-11-30 18:00"), tick=False):
        client.force_login(world.provincial_admin)
        with django_assert_max_num_queries(40):
            response = client.get(DASHBOARD)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<svg") == 4
    assert body.count("<title id=") == 4 and body.count("<desc id=") == 4
    assert "Hồ sơ tiếp nhận mỗi ngày trong tháng" in body  # Vietnamese by default
    assert "Dossiers received per day" not in body
    days = [row[0] for row in response.context["daily_rows"]]
    assert days[0] == "01/11" and days[-1] == "30/11" and len(days) == 30
    received = sum(row[1] for row in response.context["daily_rows"])
    assert received > 0
    assert response.context["on_time_rows"]


def test_nothing_breaks_without_data(client, world):
    with time_machine.travel(at("2026-12-01 08:00"), tick=False):
        client.force_login(world.provincial_admin)
        response = client.get(DASHBOARD)
        body = response.content.decode()
        assert response.status_code == 200 and body.count("<svg") == 4
        assert response.context["on_time_rows"] == []
        client.force_login(world.supervisor_a)
        assert client.get(DASHBOARD).status_code == 200
