"""The monthly PDF is kept under the version of its period's roll-ups: a repeat is not
drawn again, any day of the period rewritten makes the next one new, and people who see
different places never share one. The national service figures read each section once."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.identity.access import Access
from postgov.reports import monthly_pdf, months
from postgov.reports.models import DailyIdentity, DailyVolume, RollupVersion
from postgov.reports.rollups import update_day
from postgov.reports.service_figures import service_report
from tests.agency_helpers import at
from tests.factories import make_procedure
from tests.personas import make_national_admin

PDF = reverse("reports:volumes_pdf")
NOVEMBER = {"month": "2026-11"}


@pytest.fixture
def drawn(monkeypatch):
    """How many PDFs were drawn."""
    calls: list[int] = []
    render = monthly_pdf.render

    def counting(*args, **kwargs):
        calls.append(1)
        return render(*args, **kwargs)

    monkeypatch.setattr(monthly_pdf, "render", counting)
    return calls


@pytest.fixture
def november(world):
    procedure = make_procedure().procedure
    DailyVolume.objects.create(
        day=date(2026, 11, 10),
        province=world.province,
        point=world.point_a,
        procedure=procedure,
        agency=world.agency_a,
        sealed=7,
    )
    return procedure


def test_a_month_without_a_version_is_drawn_every_time(client, world, november, drawn):
    client.force_login(world.provincial_admin)
    with time_machine.travel(at("2026-12-02 10:00"), tick=False):
        first = client.get(PDF, NOVEMBER)
        second = client.get(PDF, NOVEMBER)
    assert first.status_code == second.status_code == 200
    assert len(drawn) == 2


def test_a_repeat_is_served_kept_until_a_day_of_the_period_is_rewritten(
    client, world, november, drawn
):
    with time_machine.travel(at("2026-12-02 10:00"), tick=False):
        update_day(date(2026, 11, 20))  # the worker's refresh gives November a version
        assert RollupVersion.objects.filter(month=date(2026, 11, 1)).count() == 1
        DailyVolume.objects.create(
            day=date(2026, 11, 10),
            province=world.province,
            point=world.point_b,
            procedure=november,
            agency=world.agency_a,
            sealed=5,
        )
        client.force_login(world.provincial_admin)
        first = client.get(PDF, NOVEMBER)
        second = client.get(PDF, NOVEMBER)
        assert first.content == second.content and len(drawn) == 1
        # Every download is still audited.
        assert AuditEvent.objects.filter(action="reports.volumes_exported").count() == 2
        # A supervisor of one post office sees other figures: never the province's PDF.
        client.force_login(world.supervisor_a)
        mine = client.get(PDF, NOVEMBER)
        assert mine.status_code == 200 and len(drawn) == 2
        # A day of November rewritten: a new version, drawn again.
        update_day(date(2026, 11, 21))
        client.force_login(world.provincial_admin)
        client.get(PDF, NOVEMBER)
        assert len(drawn) == 3
        # A rewritten day of another month leaves November's PDF alone.
        update_day(date(2026, 12, 1))
        client.get(PDF, NOVEMBER)
        assert len(drawn) == 3
    # The next day the PDF says so: drawn again.
    with time_machine.travel(at("2026-12-03 10:00"), tick=False):
        client.force_login(world.provincial_admin)
        assert client.get(PDF, NOVEMBER).status_code == 200
        assert len(drawn) == 4


def test_a_period_is_versioned_only_when_every_month_is(db):
    assert months.version(date(2026, 10, 1), date(2026, 11, 30)) is None
    months.changed(date(2026, 10, 5))
    assert months.version(date(2026, 10, 1), date(2026, 11, 30)) is None
    months.changed(date(2026, 11, 5))
    before = months.version(date(2026, 10, 1), date(2026, 11, 30))
    assert before is not None
    months.changed(date(2026, 11, 6))
    assert months.version(date(2026, 10, 1), date(2026, 11, 30)) != before


def test_the_national_figures_read_each_section_once(world):
    DailyIdentity.objects.create(
        day=date(2026, 11, 24), province=world.province, point=world.point_a, proofed=3
    )
    months.update_months([date(2026, 11, 24)])  # made directly: its month summed here
    access = Access.for_user(make_national_admin())
    with CaptureQueriesContext(connection) as queries:
        report = service_report(access, date(2025, 12, 6), date(2026, 12, 5))
    # Identity, waiting rooms, digitisation, service index: edges and months united. (The
    # names come from the process's reference data: read again here, inside the test's
    # transaction, which saved places.)
    reads = [q for q in queries.captured_queries if "reports_" in q["sql"]]
    assert len(reads) == 4
    assert report.section("identity").total["proofed"] == 3
    assert dict(report.section("identity_points").rows)[world.province.name]["proofed"] == 3
