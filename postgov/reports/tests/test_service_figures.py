"""The service figures: their roll-ups equal a direct count of the event logs and records,
the page shows them with charts and exports them, the monthly PDF carries them, and who
sees which provinces (a national administrator all of them)."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections import Counter
from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from postgov.audit.models import AuditEvent
from postgov.dossiers import actions as dossier_actions
from postgov.dossiers.models import DossierEvent, DossierRating, ResultDocument, Scan
from postgov.dossiers.workflow import State
from postgov.identity.access import Access
from postgov.identity.models import ProofingCase
from postgov.queues import actions as queue_actions
from postgov.queues.models import Counter as QueueCounter
from postgov.queues.models import QueueService, TicketEvent
from postgov.registers import actions as register_actions
from postgov.registers import schemas
from postgov.registers.models import Keying, Membership, Record
from postgov.registers.tests.conftest import GOOD, png_file
from postgov.reports.models import DailyDigitisation, DailyIdentity, DailyQueue, DailyServiceIndex
from postgov.reports.rollups import update_day
from postgov.reports.service_figures import service_report, show
from postgov.reports.tests.test_rollups import _generate
from postgov.reports.volumes import provinces_in_scope
from tests.agency_helpers import at, move
from tests.personas import make_national_admin, make_second_province

pytestmark = pytest.mark.clock

FIGURES = reverse("reports:service_figures")
PDF = reverse("reports:volumes_pdf")
EVERY_DAY = [date(2026, 11, d) for d in range(22, 31)] + [date(2026, 12, 1), date(2026, 12, 2)]


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run(  # noqa: S603 - a fixed tool reading our own PDF
        [shutil.which("pdftotext") or "pdftotext", "-layout", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode()


def _local(moment) -> date:
    return moment.astimezone(at("2026-01-01 00:00").tzinfo).date()


def _more(world, made):
    """Beside the dossiers: scans at intake for two of them, a scanned result for one,
    a morning at point A's waiting room, proofing at both points, register entries."""
    for dossier in made[:2]:
        with time_machine.travel(at(f"{_local(dossier.sealed_at)} 07:00"), tick=False):
            Scan.objects.create(
                dossier=dossier,
                file=SimpleUploadedFile("p.pdf", b"%PDF-1.4"),
                original_name="p.pdf",
                content_type="application/pdf",
                size=8,
                sha256="0" * 64,
                uploaded_by=world.clerk_a,
            )
    ready = [d for d in made if d.events.filter(to_status=State.RESULT_READY).exists()]
    ResultDocument.objects.create(
        dossier=ready[0], name="Giấy chứng nhận", file=SimpleUploadedFile("r.pdf", b"%PDF-1.4")
    )
    ResultDocument.objects.create(dossier=ready[1], name="Giấy chứng nhận")  # no scan
    # Both results handed over at the agency's desk; the citizens rate them (4 and 2 stars).
    for dossier, stars in zip(ready[:2], (4, 2), strict=True):
        with time_machine.travel(at("2026-12-02 14:00"), tick=False):
            move(dossier, "deliver_at_agency", world.agency_receiver)
        with time_machine.travel(at("2026-12-02 15:00"), tick=False):
            dossier_actions.rate_dossier(dossier.rating, stars, "Nhanh, chu đáo")
    service = QueueService.objects.create(
        service_point=world.point_a, letter="A", kind="administrative", target_minutes=15
    )
    counter = QueueCounter.objects.create(service_point=world.point_a, number=1)
    counter.services.set([service])
    with time_machine.travel(at("2026-11-24 09:00"), tick=False) as clock:
        one = queue_actions.issue_ticket(service)
        two = queue_actions.issue_ticket(service)
        three = queue_actions.issue_ticket(service)
        clock.move_to(at("2026-11-24 09:10"))
        queue_actions.call_next(counter)  # waited 10 min
        clock.move_to(at("2026-11-24 09:15"))
        queue_actions.end_service(one, counter)
        queue_actions.rate(one, 4)
        queue_actions.call_next(counter)  # 15 min
        clock.move_to(at("2026-11-24 09:20"))
        queue_actions.end_service(two, counter)
        queue_actions.rate(two, 5)
        clock.move_to(at("2026-11-24 09:45"))
        queue_actions.call_next(counter)  # 45 min: beyond the target
        queue_actions.no_show(three, counter)
    for point, kind, status, when in (
        (world.point_a, "assisted", "passed", "2026-11-24 10:00"),
        (world.point_a, "walk_in", "approved", "2026-11-24 11:00"),
        (world.point_b, "code", "failed", "2026-11-25 10:00"),
        (world.point_b, "walk_in", "open", None),
    ):
        ProofingCase.objects.create(
            kind=kind,
            status=status,
            service_point=point,
            clerk=world.clerk_a,
            decided_at=at(when) if when else None,
        )
    ready_schema = schemas.ready_schema("population")
    with time_machine.travel(at("2026-11-25 08:00"), tick=False):
        project = register_actions.create_project(
            by=world.provincial_admin,
            name="Sổ hộ khẩu Đông Hà",
            kind=ready_schema["kind"],
            province=world.province,
            fields=ready_schema["fields"],
            sample_percent=0,
        )
        for user in (world.clerk_a, world.clerk_b):
            register_actions.add_member(
                project, user=user, role=Membership.Role.OPERATOR, by=world.provincial_admin
            )
        register_actions.add_batch(
            project,
            uploaded=png_file(pages=2),
            label="Quyển 1",
            pages_per_record=1,
            by=world.provincial_admin,
        )
        for _ in range(2):
            first = register_actions.next_keying(project, world.clerk_a)
            register_actions.submit_keying(first.pk, GOOD, operator=world.clerk_a)
            second = register_actions.next_keying(project, world.clerk_b)
            register_actions.submit_keying(second.pk, GOOD, operator=world.clerk_b)
    return project


def _direct(day: date) -> Counter:
    """The figures of `day`, counted record by record."""
    counts: Counter = Counter()
    for event in DossierEvent.objects.select_related("dossier__procedure_version"):
        if _local(event.at) != day or event.from_status == event.to_status:
            continue
        d = event.dossier
        key = (d.receiving_point_id, d.procedure_version.procedure_id, d.agency_id)
        if event.to_status in (State.RESULT_READY, State.REFUSED):
            counts[(*key, "finished")] += 1
            late = d.due_at is not None and event.at > d.due_at
            counts[(*key, "finished_late" if late else "finished_on_time")] += 1
        if event.to_status == State.SEALED:
            counts[(*key, "received")] += 1
            if any(scan.uploaded_at <= event.at for scan in d.scans.all()):
                counts[(*key, "received_digitised")] += 1
        if event.to_status == State.RESULT_READY:
            counts[(*key, "results")] += 1
            if any(doc.file for doc in d.result_documents.all()):
                counts[(*key, "results_digitised")] += 1
    for rating in DossierRating.objects.exclude(rated_at=None).select_related(
        "dossier__procedure_version"
    ):
        d = rating.dossier
        if _local(rating.rated_at) == day:
            key = (d.receiving_point_id, d.procedure_version.procedure_id, d.agency_id)
            counts[(*key, "ratings")] += 1
            counts[(*key, "rating_sum")] += rating.stars
    for event in TicketEvent.objects.filter(day=day):
        key = ("queue", event.service_point_id)
        counts[(*key, event.kind)] += 1
        if event.kind == TicketEvent.Kind.RATED:
            counts[(*key, "rating_sum")] += event.details["rating"]
    for case in ProofingCase.objects.exclude(decided_at=None):
        if _local(case.decided_at) == day:
            key = ("identity", case.service_point_id)
            if case.status in ("passed", "approved"):
                counts[(*key, "proofed")] += 1
                if case.kind == "assisted":
                    counts[(*key, "accounts_created")] += 1
            if case.status in ("failed", "rejected"):
                counts[(*key, "proofing_failed")] += 1
    for keying in Keying.objects.exclude(submitted_at=None).select_related("record"):
        if _local(keying.submitted_at) == day:
            counts[("project", keying.record.project_id, "keyed")] += 1
    for record in Record.objects.exclude(settled_at=None):
        if _local(record.settled_at) == day:
            counts[("project", record.project_id, "settled")] += 1
    return +counts


def _rolled(day: date) -> Counter:
    counts: Counter = Counter()
    for row in DailyServiceIndex.objects.filter(day=day):
        key = (row.point_id, row.procedure_id, row.agency_id)
        for name in (
            "finished",
            "finished_on_time",
            "finished_late",
            "received",
            "received_digitised",
            "results",
            "results_digitised",
            "ratings",
            "rating_sum",
        ):
            counts[(*key, name)] += getattr(row, name)
    for row in DailyQueue.objects.filter(day=day):
        key = ("queue", row.point_id)
        counts[(*key, "arrived")] += row.issued
        counts[(*key, "ended")] += row.served
        counts[(*key, "no_show")] += row.no_shows
        counts[(*key, "called")] += row.called
        counts[(*key, "rated")] += row.ratings
        counts[(*key, "rating_sum")] += row.rating_sum
    for row in DailyIdentity.objects.filter(day=day):
        for name in ("accounts_created", "proofed", "proofing_failed"):
            counts[("identity", row.point_id, name)] += getattr(row, name)
    for row in DailyDigitisation.objects.filter(day=day):
        counts[("project", row.project_id, "keyed")] += row.keyed
        counts[("project", row.project_id, "settled")] += row.settled
    return +counts


def test_rollups_equal_a_direct_count_and_a_rebuild_gives_the_same_rows(world):
    made = _generate(world)
    _more(world, made)
    totals: Counter = Counter()
    for day in EVERY_DAY:
        update_day(day)
        update_day(day)  # again: the same rows
        direct, rolled = _direct(day), _rolled(day)
        assert rolled == direct, day
        for key, n in direct.items():
            totals[key[-1]] += n
    # The mix exercises every figure.
    assert totals["finished"] == 4 and totals["finished_late"] == 1
    assert totals["received"] == 5 and totals["received_digitised"] == 2
    assert totals["results"] == 2 and totals["results_digitised"] == 1
    assert totals["called"] == 3 and totals["no_show"] == 1 and totals["rated"] == 2
    assert totals["ratings"] == 2 and totals["rating_sum"] == 9 + 6  # tickets and dossiers
    assert totals["accounts_created"] == 1 and totals["proofed"] == 2
    assert totals["proofing_failed"] == 1
    assert totals["keyed"] == 4 and totals["settled"] == 2

    queue = DailyQueue.objects.get(day=date(2026, 11, 24))
    assert (queue.waits_10, queue.waits_15, queue.waits_45, queue.within_target) == (1, 1, 1, 2)
    assert queue.wait_minutes == pytest.approx(70)

    def rows():
        return [
            sorted(model.objects.values_list(*[f.attname for f in model._meta.fields][1:]))
            for model in (DailyServiceIndex, DailyQueue, DailyIdentity, DailyDigitisation)
        ]

    first = rows()
    with time_machine.travel(at("2026-12-02 18:00"), tick=False):
        call_command("rebuild_rollups")
        assert rows() == first
        DailyQueue.objects.all().delete()
        call_command("rebuild_rollups", "--from", "2026-11-20", "--to", "2026-12-02")
        assert rows() == first


def test_the_report_reads_the_rollups(world):
    made = _generate(world)
    _more(world, made)
    for day in EVERY_DAY:
        update_day(day)
    access = Access.for_user(world.provincial_admin)
    report = service_report(access, date(2026, 11, 22), date(2026, 12, 2))
    queues = report.section("queues").total
    assert queues["issued"] == 3 and queues["served"] == 2 and queues["no_shows"] == 1
    assert queues["mean_wait"] == pytest.approx(23.3)
    assert queues["p90_wait"] == 45 and queues["within_target"] == pytest.approx(66.7)
    assert queues["mean_rating"] == 4.5
    index = report.section("index").total
    assert index["on_time"] == 75 and index["late"] == 25
    assert index["received_digitised"] == 40 and index["results_digitised"] == 50
    points = dict(report.section("index_points").rows)
    assert points[world.point_a.name]["satisfaction"] == 90  # 9 of 10 stars
    assert points[world.point_b.name]["satisfaction"] is None  # no rating there
    # Per agency, from the citizens' ratings of their delivered dossiers: 6 of 10 stars.
    agencies = dict(report.section("index_agencies").rows)
    assert agencies[world.agency_a.name]["satisfaction"] == 60
    assert report.section("identity").total["proofed"] == 2
    assert report.section("digitisation").total["keyed"] == 4
    assert show(None, "share") == "—" and show(66.66, "share") == "66,7 %"
    # A clerk's point only: a supervisor of point A sees its waiting room, not point B's.
    supervisor = Access.for_user(world.supervisor_a)
    seen = service_report(supervisor, date(2026, 11, 22), date(2026, 12, 2))
    assert [label for label, _ in seen.section("identity_points").rows] == [world.point_a.name]


def test_the_page_exports_and_the_monthly_pdf(client, world):
    made = _generate(world)
    _more(world, made)
    for day in EVERY_DAY:
        update_day(day)
    client.force_login(world.provincial_admin)
    period = {"date_from": "2026-11-22", "date_to": "2026-12-02"}
    page = client.get(FIGURES, period)
    body = page.content.decode()
    assert page.status_code == 200 and body.count("<svg") >= 5
    assert "Phòng chờ" in body and "Waiting rooms" not in body  # Vietnamese by default
    csv = client.get(FIGURES, {**period, "export": "csv"})
    text = csv.content.decode("utf-8-sig")
    assert "attachment" in csv["Content-Disposition"] and "23,3" not in text
    assert "23.3" in text
    xlsx = client.get(FIGURES, {**period, "export": "xlsx"})
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert len(workbook.sheetnames) == 9
    assert AuditEvent.objects.filter(action="reports.service_figures_exported").count() == 2

    pdf = client.get(PDF, period, HTTP_ACCEPT_LANGUAGE="en")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Phòng chờ" in text and "Chỉ số phục vụ" in text
    assert world.point_a.name in text
    assert "60,0 %" in text  # the agency's satisfaction


@pytest.mark.parametrize(
    "period",
    [
        {"date_from": "", "date_to": ""},
        {"date_from": "2026-12-02", "date_to": "2026-11-01"},
        {"date_from": "2026-13-40", "date_to": "2026-11-01"},
    ],
)
def test_an_empty_or_reversed_period_is_a_clear_message(client, world, period):
    client.force_login(world.provincial_admin)
    for url in (FIGURES, PDF):
        page = client.get(url, period, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200, url
        assert page["Content-Type"].startswith("text/html")
        body = page.content.decode()
        assert "errorlist" in body or 'class="alert' in body, url
        assert "report" not in page.context or page.context["report"] is None


def test_a_national_administrator_sees_every_province(client, world):
    other = make_second_province()
    national = make_national_admin()
    everyone = {world.province.pk, other.province.pk}
    assert set(provinces_in_scope(Access.for_user(national)).values_list("pk", flat=True)) == (
        everyone
    )
    assert set(
        provinces_in_scope(Access.for_user(world.provincial_admin)).values_list("pk", flat=True)
    ) == {world.province.pk}
    assert set(provinces_in_scope(Access.for_user(other.admin)).values_list("pk", flat=True)) == {
        other.province.pk
    }
    DailyIdentity.objects.create(
        day=date(2026, 11, 24), province=world.province, point=world.point_a, proofed=3
    )
    DailyIdentity.objects.create(
        day=date(2026, 11, 24), province=other.province, point=other.point, proofed=5
    )
    period = {"date_from": "2026-11-01", "date_to": "2026-11-30"}

    def proofed(user) -> float:
        report = service_report(Access.for_user(user), date(2026, 11, 1), date(2026, 11, 30))
        return report.section("identity").total["proofed"]

    assert proofed(national) == 8
    assert proofed(world.provincial_admin) == 3
    assert proofed(other.admin) == 5
    for url in (reverse("reports:dashboard"), reverse("reports:volumes"), FIGURES, PDF):
        client.force_login(national)
        assert client.get(url, period).status_code == 200, url
        for person in (world.clerk_a, world.outsider, other.clerk):
            client.force_login(person)
            assert client.get(url, period).status_code == 403, (url, person)
    client.force_login(world.provincial_admin)
    page = client.get(FIGURES, {**period, "province": other.province.pk})
    assert page.status_code == 200 and page.context["report"] is None  # not theirs to choose
    client.force_login(national)
    page = client.get(FIGURES, {**period, "province": other.province.pk})
    assert page.context["report"].section("identity").total["proofed"] == 5


def test_it_checks_access(client, world, clerk_a, outsider):
    assert client.get(FIGURES).status_code == 302
    for person in (clerk_a, outsider):
        client.force_login(person)
        assert client.get(FIGURES).status_code == 403


def test_periods_by_month_beyond_two_months(world):
    access = Access.for_user(world.provincial_admin)
    start = date(2026, 1, 1)
    report = service_report(access, start, start + timedelta(days=200))
    assert report.by_month and len(report.section("queues").rows) == 7
