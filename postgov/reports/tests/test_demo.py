"""The whole demo loads, shows the agency and return legs, and loads again unchanged."""

from __future__ import annotations

import base64
import uuid

from django.utils import timezone

from postgov.agencies.models import Agency
from postgov.demo import load_demo
from postgov.dossiers.models import Dossier, DossierRating
from postgov.exchange.integration import authenticate_key
from postgov.exchange.models import AgencyClient
from postgov.identity.access import Access
from postgov.identity.demo import demo_logins_text
from postgov.identity.models import User
from postgov.reports.demo import (
    DEMO_API_KEY,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    NAMESPACE,
    SCENARIOS,
)
from postgov.reports.service_figures import service_report


def test_the_demo_is_complete_and_idempotent(db, client):
    log: list[str] = []
    load_demo(log.append)
    assert any("17 demo dossiers" in line for line in log)
    states = set(Dossier.objects.values_list("status", flat=True))
    assert {"sealed", "in_transit", "processing", "supplement_requested", "refused"} <= states
    assert {"result_ready", "result_collected", "out_for_delivery", "delivered"} <= states
    assert authenticate_key(DEMO_API_KEY).agency.unit_code == "000.00.01.H44"
    assert DEMO_API_KEY in demo_logins_text()
    assert DEMO_CLIENT_ID in demo_logins_text() and DEMO_CLIENT_SECRET in demo_logins_text()
    basic = base64.b64encode(f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}".encode()).decode()
    token = client.post(
        "/oidc/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}"
    ).json()["access_token"]
    listed = client.get("/api/v1/agency/dossiers", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert listed.status_code == 200 and listed.json()["items"]
    # The delivered dossiers are rated, and the reports show the citizens' satisfaction.
    assert list(
        DossierRating.objects.filter(stars__isnull=False)
        .order_by("dossier_id")
        .values_list("stars", flat=True)
    ) == [5, 4, 3]
    today = timezone.localdate()
    figures = service_report(
        Access.for_user(User.objects.get(username="quantri.qt")), today.replace(day=1), today
    )
    agencies = dict(figures.section("index_agencies").rows)
    assert agencies[Agency.objects.get(unit_code="000.00.01.H44").name]["satisfaction"] == 80
    count = Dossier.objects.count()
    log.clear()
    load_demo(log.append)
    assert any("0 demo dossiers" in line for line in log)
    assert Dossier.objects.count() == count  # nothing added the second time
    assert not any("OAuth2 client created" in line for line in log)
    assert AgencyClient.objects.count() == 1
    mine = [uuid.uuid5(NAMESPACE, f"agency-demo-{n}") for n in range(1, len(SCENARIOS) + 1)]
    assert Dossier.objects.filter(intake_token__in=mine).count() == len(SCENARIOS)
