"""The manager's map: who may see it, what it counts, in one query."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from postgov.audit.models import AuditEvent
from postgov.dossiers.models import LegRecord
from postgov.dossiers.tests.intake_helpers import draft
from postgov.identity.access import Access
from postgov.reports.point_map import point_loads
from tests.factories import make_intake_catalog
from tests.personas import make_second_province

pytestmark = pytest.mark.clock

MAP = reverse("reports:point_map")
NOW = timezone.datetime(2026, 12, 3, 9, 0, tzinfo=timezone.get_fixed_timezone(7 * 60))


@pytest.fixture
def loaded(world):
    for point, (lat, lon) in ((world.point_a, (16.81, 107.10)), (world.point_b, (17.47, 106.62))):
        point.latitude, point.longitude = lat, lon
        point.save(update_fields=["latitude", "longitude"])
    version = make_intake_catalog(world)
    with time_machine.travel(NOW, tick=False):
        dossiers = [draft(world, version, name=f"Người {i}") for i in range(3)]
        for dossier, due in zip(dossiers, (-2, -1, +3), strict=True):
            LegRecord.objects.create(
                dossier=dossier,
                province=world.province,
                segment="counter",
                leg="counter",
                service_point=world.point_a,
                started_at=NOW - timedelta(days=5),
                due_at=NOW + timedelta(days=due),
            )
        # A finished leg, late when it was open, is not overdue now.
        LegRecord.objects.create(
            dossier=dossiers[0],
            province=world.province,
            segment="counter",
            leg="counter",
            service_point=world.point_a,
            started_at=NOW - timedelta(days=9),
            due_at=NOW - timedelta(days=8),
            ended_at=NOW - timedelta(days=7),
        )
    return dossiers


@pytest.mark.parametrize("who", ["outsider", "clerk_a", "citizen", "agency_officer"])
def test_others_are_refused(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(MAP).status_code in (302, 403)


def test_counts_in_one_query(world, loaded):
    access = Access.for_user(world.provincial_admin)
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        loads = point_loads(access, timezone.now())
    assert len(queries) == 1
    by_code = {load.point.code: load for load in loads}
    assert (by_code["TEST-A"].open, by_code["TEST-A"].overdue) == (3, 2)
    assert (by_code["TEST-B"].open, by_code["TEST-B"].overdue) == (0, 0)
    assert by_code["TEST-A"].level == "late" and by_code["TEST-B"].level == "ok"


@pytest.mark.parametrize("who", ["provincial_admin", "auditor", "supervisor_a"])
def test_the_page_shows_the_table_and_the_markers(client, world, loaded, who):
    with time_machine.travel(NOW, tick=False):
        client.force_login(getattr(world, who))
        response = client.get(MAP, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    row = re.search(r'<tr data-point="TEST-A">.*?</tr>', html, re.S).group(0)
    assert "data-open>3<" in row and "data-overdue>2<" in row
    # The day page is the post office's own for its supervisor; the province gets its
    # read-only copy.
    own = f"{reverse('dossiers:today')}?point={world.point_a.pk}"
    copy = reverse("dossiers:point_day", args=[world.point_a.pk])
    assert (own in row) == (who == "supervisor_a")
    assert (copy in row) == (who != "supervisor_a")
    markers = json.loads(
        re.search(r'<script id="pg-map-1-markers"[^>]*>(.*?)</script>', html, re.S).group(1)
    )
    names = {m["name"]: m for m in markers}
    assert names["Bưu điện Đông Hà"]["level"] == "late"
    assert names["Bưu điện Đông Hà"]["go"]
    assert names["Bưu điện Đông Hà"]["url"] == (own if who == "supervisor_a" else copy)
    # A supervisor sees their own post office only; the province sees both.
    assert ('data-point="TEST-B"' in html) == (who != "supervisor_a")


@pytest.mark.parametrize("who", ["provincial_admin", "auditor"])
def test_the_province_reads_a_post_offices_day_audited(client, world, loaded, who):
    url = reverse("dossiers:point_day", args=[world.point_a.pk])
    with time_machine.travel(NOW, tick=False):
        client.force_login(getattr(world, who))
        response = client.get(url + "?view=all", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "The day of Bưu điện Đông Hà" in html and "Read-only" in html
    assert html.count("Người ") >= 3  # the point's dossiers are listed
    # Nothing to act with: no new dossier, no dispatch form.
    assert reverse("dossiers:dispatch") not in html
    assert reverse("dossiers:intake_start") not in html
    event = AuditEvent.objects.get(action="dossier.point_day_viewed")
    assert event.actor_id == getattr(world, who).pk
    assert event.service_point_id == world.point_a.pk and event.details == {"view": "all"}


@pytest.mark.parametrize("who", ["supervisor_a", "clerk_a", "outsider", "citizen"])
def test_a_post_offices_day_is_refused_to_others(client, world, who):
    url = reverse("dossiers:point_day", args=[world.point_a.pk])
    client.force_login(getattr(world, who))
    assert client.get(url).status_code in (302, 403, 404)
    assert not AuditEvent.objects.filter(action="dossier.point_day_viewed").exists()


def test_another_provinces_administrator_cannot_read_the_day(client, world):
    other = make_second_province()
    client.force_login(other.admin)
    assert client.get(reverse("dossiers:point_day", args=[world.point_a.pk])).status_code == 404
    own = reverse("dossiers:point_day", args=[other.point.pk])
    assert client.get(own).status_code == 200
