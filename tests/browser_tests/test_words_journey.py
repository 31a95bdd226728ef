"""What people read, in Chromium: an address printed once in the new units, the day's tabs
in English, the audit trail and a citizen's activity in words."""

from __future__ import annotations

import pytest

from postgov.audit.actions import record
from postgov.dossiers.tests.intake_helpers import draft as make_draft
from postgov.dossiers.tests.intake_helpers import pay, tick_all
from postgov.identity.models import Role
from tests.browser import log_in
from tests.browser_tests.test_intake_journey import shot
from tests.factories import make_intake_catalog

pytestmark = pytest.mark.browser


def test_a_clerk_reads_one_address_and_one_language(page, world):
    version = make_intake_catalog(world)
    dossier = pay(tick_all(make_draft(world, version, address="Khu phố 3, Phường Đông Hà")))
    log_in(page, "clerk_a")
    page.goto(f"/dossiers/{dossier.pk}/confirm/")
    text = page.locator("main").inner_text()
    assert "Khu phố 3, Phường Đông Hà, Tỉnh Quảng Trị" in text
    assert "Phường Đông Hà, Phường Đông Hà" not in text
    shot(page, "words-confirm-address")

    page.locator("nav button[name=language][value=en]").click()
    page.wait_for_load_state()
    page.goto("/dossiers/today/")
    text = page.locator("main").inner_text()
    assert "Drafts" in text and "Bản nháp" not in text and "Hôm nay" not in text
    row = page.locator("main table tbody tr").first.inner_text()
    assert "68.000" not in row and "—" in row  # a draft has collected nothing yet
    shot(page, "words-today-english")


def test_the_audit_trail_reads_as_words(page, world):
    record(
        "identity.role_granted",
        actor=world.provincial_admin,
        role=Role.PROVINCIAL_ADMIN,
        service_point_id=world.point_a.pk,
        details={"role": Role.CLERK, "user": "clerk_a"},
    )
    log_in(page, "auditor_qt")
    page.goto("/audit/")
    text = page.locator("main").inner_text()
    assert "Cấp vai trò" in text and "{'role'" not in text
    shot(page, "words-audit-trail")
