"""The scheduled SLA check flags per leg and tells the right people once; the per-leg
report counts finished and open legs per post office and agency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from postgov.dossiers.models import LegRecord
from postgov.identity.access import Access
from postgov.notify.models import Message
from postgov.reports.sla import check_sla, legs_in_scope, sla_report
from tests.agency_helpers import at, handed_over, move, sealed

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock


def test_overdue_and_due_soon_legs_are_flagged_and_notified_once(world):
    world.supervisor_a.email = "giamsat@example.vn"
    world.supervisor_a.save()
    world.agency_receiver.email = "tiepnhan@example.vn"
    world.agency_receiver.save()
    late_at_agency = handed_over(world, at("2026-01-05 09:00"))
    stuck_in_post = sealed(world)
    LegRecord.objects.filter(dossier=stuck_in_post).update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    fresh = handed_over(world)
    summary = check_sla()
    assert summary.overdue >= 1
    flags = dict(LegRecord.objects.filter(ended_at__isnull=True).values_list("dossier_id", "flag"))
    assert flags[late_at_agency.pk] == "overdue"
    assert flags[fresh.pk] in ("", "due_soon")
    digests = Message.objects.filter(template="sla_digest")
    recipients = set(digests.values_list("recipient", flat=True))
    assert "tiepnhan@example.vn" in recipients
    agency_mail = digests.get(recipient="tiepnhan@example.vn")
    assert late_at_agency.code in agency_mail.body and stuck_in_post.code not in agency_mail.body
    again = check_sla()
    assert again.overdue == 0 and again.notified == 0  # nothing new: nobody is told twice


def test_the_post_is_not_blamed_for_the_agency_nor_the_reverse(world):
    dossier = sealed(world)
    move(dossier, "dispatch", world.postman_a, at=at("2026-11-30 08:00"))
    move(dossier, "hand_over", world.agency_receiver, at=at("2026-11-30 09:00"))
    legs = {leg.segment: leg for leg in LegRecord.objects.filter(dossier=dossier)}
    assert legs["outbound"].ended_at == at("2026-11-30 09:00")
    assert legs["agency"].started_at == at("2026-11-30 09:00") and legs["agency"].agency_id
    assert legs["agency"].service_point_id is None and legs["outbound"].agency_id is None


def test_the_report_per_leg(world):
    late = handed_over(world, at("2026-01-05 09:00"))
    move(late, "accept", world.agency_receiver, at=at("2026-01-06 09:00"))
    move(late, "result_ready", world.agency_officer, at=at("2026-01-20 09:00"))
    handed_over(world)
    lines = sla_report(
        legs_in_scope(Access.for_user(world.provincial_admin)),
        at("2026-01-01 00:00"),
        timezone.now() + timedelta(days=1),
    )
    agency = next(line for line in lines if line.segment == "agency")
    assert agency.finished == 1 and agency.late == 1 and agency.on_time_rate == 0
    assert agency.open == 1
    assert {line.segment for line in lines} >= {"outbound", "agency", "return"}
    assert legs_in_scope(Access.for_user(world.outsider)).count() == 0
    assert legs_in_scope(Access.for_user(world.officer_b)).count() == 0


def test_the_command_runs_it(world, capsys):
    handed_over(world, at("2026-01-05 09:00"))
    call_command("check_sla")
    assert "overdue: 1" in capsys.readouterr().out
    call_command("check_sla", "--enqueue")
    assert "queued" in capsys.readouterr().out
