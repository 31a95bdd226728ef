"""The supervisor's map of post offices in Chromium: the point with an overdue leg is drawn
red, and a click on it opens the point's day page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from postgov.dossiers.models import LegRecord
from postgov.dossiers.tests.intake_helpers import draft
from tests.browser import log_in
from tests.browser_tests.test_intake_journey import shot
from tests.factories import make_intake_catalog

pytestmark = pytest.mark.clock


@pytest.mark.browser
def test_the_supervisor_opens_a_point_from_the_map(page, world, supervisor_a, settings):
    settings.MAP_TILE_URL = ""
    settings.MAP_PMTILES_PATH = ""
    world.point_a.latitude, world.point_a.longitude = 16.81, 107.10
    world.point_a.save(update_fields=["latitude", "longitude"])
    dossier = draft(world, make_intake_catalog(world))
    now = timezone.now()
    LegRecord.objects.create(
        dossier=dossier,
        province=world.province,
        segment="counter",
        leg="counter",
        service_point=world.point_a,
        started_at=now - timedelta(days=3),
        due_at=now - timedelta(days=1),
    )
    log_in(page, "supervisor_a")
    page.goto(reverse("reports:point_map"))
    expect(page.get_by_test_id("map")).to_have_attribute("data-map-ready", "")
    circle = page.locator("path.leaflet-interactive").first
    assert circle.get_attribute("fill") == "#dc3545"
    expect(page.locator('tr[data-point="TEST-A"] [data-overdue]')).to_have_text("1")
    shot(page, "reports-point-map")
    with page.expect_navigation():
        circle.click()
    assert page.url.endswith(f"{reverse('dossiers:today')}?point={world.point_a.pk}")
