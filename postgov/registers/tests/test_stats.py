"""Operator statistics from what the keying page reports, and the stored counters that
the project page reads: they must equal a recount from the rows."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from postgov.registers import actions, stats
from postgov.registers.models import FieldCounter, KeyingEffort, OperatorDay, Record
from postgov.registers.tests.conftest import GOOD

pytestmark = pytest.mark.clock


def test_the_keying_page_reports_keys_and_time_per_field(client, project, world, batch):
    client.force_login(world.clerk_a)
    keying = actions.next_keying(project, world.clerk_a)
    url = reverse("registers:keying_field", args=[keying.pk])
    client.post(
        url,
        {"key": "full_name", "value": "Nguyễn Văn An", "keystrokes": "14", "active_ms": "9000"},
    )
    client.post(
        url,
        {
            "key": "birth_date",
            "value": "12/5/1985",
            "keystrokes": "9",
            "active_ms": "6000",
            "paused_ms": "120000",
        },
    )
    # nonsense counts are nothing, never an error
    answer = client.post(url, {"key": "gender", "value": "male", "keystrokes": "lots"})
    assert answer.status_code == 200
    effort = KeyingEffort.objects.get(keying=keying)
    assert (effort.keystrokes, effort.active_seconds, effort.paused_seconds) == (23, 15, 120)
    submitted = client.post(
        reverse("registers:keying_submit", args=[keying.pk]),
        {**GOOD, "keystrokes": "60", "active_ms": "45000", "paused_ms": "0"},
    )
    assert submitted.status_code == 302
    (day,) = stats.operator_days(project)
    assert (day.records, day.keystrokes, day.active_seconds) == (1, 83, 60)
    assert day.records_per_hour == 60 and day.keystrokes_per_hour == 83 * 60
    assert day.paused_minutes == 2 and day.errors_per_1000 == 0


def test_a_report_is_capped_so_a_page_left_open_does_not_count_as_work(project, world, batch):
    keying = actions.next_keying(project, world.clerk_a)
    actions.save_value(
        keying.pk, "full_name", "An", operator=world.clerk_a, keystrokes=10**9, active=10**9
    )
    effort = KeyingEffort.objects.get(keying=keying)
    assert effort.keystrokes == stats.MOST_KEYSTROKES
    assert effort.active_seconds == stats.MOST_SECONDS


def test_counters_equal_a_recount_and_the_command_rebuilds_them(
    client, project, world, batch, capsys
):
    for values in (
        {**GOOD, "full_name": "Nguyễn Văn Ân", "birth_date": "1985"},
        GOOD,
        {**GOOD, "phone": ""},
    ):
        first = actions.next_keying(project, world.clerk_a)
        actions.save_value(first.pk, "full_name", "x", operator=world.clerk_a, keystrokes=30)
        actions.submit_keying(first.pk, GOOD, operator=world.clerk_a)
        second = actions.next_keying(project, world.clerk_b)
        actions.save_value(second.pk, "full_name", "y", operator=world.clerk_b, keystrokes=40)
        actions.submit_keying(second.pk, values, operator=world.clerk_b)
    for row in Record.objects.filter(status=Record.Status.ADJUDICATION):
        answers = {
            "full_name": ("1", ""),
            "birth_date": ("typed", "2/5/1985"),
            "phone": ("2", ""),
        }
        actions.next_adjudication(project, world.supervisor_a)
        assert actions.settle(row.pk, answers, verifier=world.supervisor_a) == {}
    figures = stats.stored(project)
    assert figures == stats.recount(project)
    days = {d.name: d for d in stats.operator_totals(project)}
    assert days[str(world.clerk_a)].errors == 2 and days[str(world.clerk_b)].errors == 2
    assert days[str(world.clerk_b)].errors_per_1000 == pytest.approx(1000 * 2 / 120)

    # counters lost or wrong are found and rebuilt from the rows
    FieldCounter.objects.filter(project=project).update(agreed=0)
    OperatorDay.objects.filter(project=project).delete()
    with pytest.raises(CommandError):
        call_command("registers_rebuild_counters", str(project.pk), "--check")
    call_command("registers_rebuild_counters", str(project.pk))
    assert stats.stored(project) == figures
    call_command("registers_rebuild_counters", "--check")
    assert "right" in capsys.readouterr().out

    client.force_login(world.provincial_admin)
    page = client.get(reverse("registers:project", args=[project.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Operator statistics" in page.content.decode()
    assert str(world.clerk_a) in page.content.decode().split('id="operator-stats"')[1]
    # an operator sees their own figures only
    client.force_login(world.clerk_b)
    own = client.get(reverse("registers:project", args=[project.pk])).content.decode()
    table = own.split('id="operator-stats"')[1].split("</table>")[0]
    assert str(world.clerk_b) in table and str(world.clerk_a) not in table
