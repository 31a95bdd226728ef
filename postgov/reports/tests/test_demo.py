"""The whole demo loads, shows the agency and return legs, and loads again unchanged."""

from __future__ import annotations

import uuid

from postgov.agencies.integration import authenticate_key
from postgov.demo import load_demo
from postgov.dossiers.models import Dossier
from postgov.identity.demo import demo_logins_text
from postgov.reports.demo import DEMO_API_KEY, NAMESPACE, SCENARIOS


def test_the_demo_is_complete_and_idempotent(db):
    log: list[str] = []
    load_demo(log.append)
    assert any("15 demo dossiers" in line for line in log)
    states = set(Dossier.objects.values_list("status", flat=True))
    assert {"sealed", "in_transit", "processing", "supplement_requested", "refused"} <= states
    assert {"result_ready", "result_collected", "out_for_delivery", "delivered"} <= states
    assert authenticate_key(DEMO_API_KEY).agency.unit_code == "000.00.01.H44"
    assert DEMO_API_KEY in demo_logins_text()
    count = Dossier.objects.count()
    log.clear()
    load_demo(log.append)
    assert any("0 demo dossiers" in line for line in log)
    assert Dossier.objects.count() == count  # nothing added the second time
    mine = [uuid.uuid5(NAMESPACE, f"agency-demo-{n}") for n in range(1, len(SCENARIOS) + 1)]
    assert Dossier.objects.filter(intake_token__in=mine).count() == len(SCENARIOS)
