"""Reports pages: access, the reconciliation figures and its CSV/XLSX exports (audited),
the dashboard and the portal sync report."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from postgov.audit.models import AuditEvent
from postgov.dossiers.carriage import manifests
from postgov.dossiers.carriage.manifests import Check
from postgov.dossiers.models import Dossier
from postgov.identity.access import Access
from postgov.reports.reconciliation import reconcile
from tests.agency_helpers import handed_over, outbound_item, sealed
from tests.signing import scribble

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

DASHBOARD = reverse("reports:dashboard")
SLA = reverse("reports:sla")
RECONCILIATION = reverse("reports:reconciliation")
PORTAL = reverse("reports:portal_sync")


def test_it_checks_access(client, world, clerk_a, postman_a, outsider):
    for url in (DASHBOARD, SLA, RECONCILIATION, PORTAL):
        assert client.get(url).status_code == 302
        for person in (clerk_a, postman_a, outsider):
            client.force_login(person)
            assert client.get(url).status_code == 403, (person, url)
        client.logout()
    client.force_login(world.supervisor_a)
    assert client.get(PORTAL).status_code == 403
    assert client.post(reverse("reports:portal_retry")).status_code == 403


def test_agency_b_sees_nothing_of_agency_a(client, world, officer_b):
    handed_over(world)
    client.force_login(officer_b)
    response = client.get(RECONCILIATION, {"agency": world.agency_a.pk})
    assert response.context["result"] is None  # not an agency of theirs
    body = client.get(DASHBOARD).content.decode()
    assert "50.000" not in body and "50,000" not in body


def short_handover(world):
    """Two dossiers on a manifest; the agency receives 30,000 ₫ for a 50,000 ₫ fee."""
    one, two = sealed(world), sealed(world)
    third = sealed(world, point=world.point_b)
    access = Access.for_user(world.postman_a)
    manifest = manifests.new_manifest(
        point=world.point_a, agency=world.agency_a, user=world.postman_a, access=access
    )
    for dossier in (one, two):
        manifests.scan(
            manifest.pk, outbound_item(dossier).item_id, user=world.postman_a, access=access
        )
    manifests.dispatch(manifest.pk, user=world.postman_a, access=access)
    manifests.present(manifest.pk, user=world.postman_a, access=access, signature=scribble())
    lines = {line.dossier_id: line for line in manifest.items.all()}
    manifests.confirm_handover(
        manifest.pk,
        {
            lines[one.pk].pk: Check("ok", fee_received=50_000),
            lines[two.pk].pk: Check("ok", fee_received=30_000),
        },
        user=world.agency_receiver,
        access=Access.for_user(world.agency_receiver),
        signature=scribble(),
    )
    return one, two, third


def test_reconciliation_per_point_with_discrepancies(world):
    one, two, third = short_handover(world)
    today = timezone.localdate()
    result = reconcile(world.agency_a, today - timedelta(days=1), today, Dossier.objects.all())
    lines = {line.point: line for line in result.lines}
    a = lines[world.point_a.name]
    assert (a.dossiers, a.collected, a.handed_over, a.in_transit) == (2, 100_000, 80_000, 0)
    assert a.difference == 20_000 and a.postal_charges == 2 * 60_000
    b = lines[world.point_b.name]
    assert b.in_transit == 50_000 and b.difference == 0
    assert [(d.dossier, d.expected, d.found) for d in result.discrepancies] == [
        (two, 50_000, 30_000)
    ]
    assert result.total.collected == 150_000


def test_exports_are_audited(client, world):
    short_handover(world)
    client.force_login(world.provincial_admin)
    params = {"agency": world.agency_a.pk}
    page = client.get(RECONCILIATION, params)
    assert page.status_code == 200 and page.context["result"].discrepancies
    csv = client.get(RECONCILIATION, {**params, "export": "csv"})
    text = csv.content.decode("utf-8-sig")
    assert csv["Content-Type"].startswith("text/csv") and "30000" in text
    xlsx = client.get(RECONCILIATION, {**params, "export": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    assert len(book.sheetnames) == 3
    assert book.worksheets[2].max_row == 2  # header + the one discrepancy
    assert AuditEvent.objects.filter(action="reports.reconciliation_exported").count() == 2
    bad = client.get(RECONCILIATION, {**params, "date_from": "2026-12-31", "date_to": "2026-01-01"})
    assert bad.status_code == 200


def test_dashboard_sla_and_portal_pages_render(client, world):
    handed_over(world)
    client.force_login(world.provincial_admin)
    for url in (DASHBOARD, SLA, PORTAL):
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get(SLA, {"date_from": "x", "date_to": "y"}).status_code == 200
    client.force_login(world.supervisor_a)
    assert client.get(DASHBOARD).status_code == 200
    client.force_login(world.agency_officer)
    assert client.get(SLA).status_code == 200
