"""The project manager's dashboard: where each batch's records stand, keying speed, error
rates, the duplicate queue and recognised pages, as charts with their tables; only the
project's manager opens it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.registers import actions, dashboard, exports
from postgov.registers.models import Job, Record
from postgov.registers.tests.conftest import GOOD
from postgov.registers.tests.test_sources import run_jobs

pytestmark = pytest.mark.clock


def _key_twice(project, world, second_values):
    first = actions.next_keying(project, world.clerk_a)
    actions.save_value(first.pk, "full_name", "x", operator=world.clerk_a, keystrokes=30, active=60)
    actions.submit_keying(first.pk, GOOD, operator=world.clerk_a)
    second = actions.next_keying(project, world.clerk_b)
    actions.save_value(
        second.pk, "full_name", "y", operator=world.clerk_b, keystrokes=40, active=90
    )
    actions.submit_keying(second.pk, second_values, operator=world.clerk_b)
    return first.record_id


def test_figures_count_each_stage_of_each_batch(project, world, batch):
    # three records: one settled by agreement, one waiting for the verifier, one keyed once
    _key_twice(project, world, GOOD)
    waiting = _key_twice(project, world, {**GOOD, "phone": ""})
    once = actions.next_keying(project, world.clerk_a)
    actions.submit_keying(once.pk, GOOD, operator=world.clerk_a)
    assert Record.objects.get(pk=waiting).status == Record.Status.ADJUDICATION

    board = dashboard.figures(project)
    (progress,) = board.batches
    assert progress.counts == {
        "not_keyed": 0,
        "keyed_once": 1,
        "keyed_twice": 1,
        "settled": 1,
        "exported": 0,
    }
    # the verifier finds the first operator right about the phone
    actions.next_adjudication(project, world.supervisor_a)
    actions.settle(waiting, {"phone": ("1", "")}, verifier=world.supervisor_a)
    board = dashboard.figures(project)
    assert board.batches[0].counts["settled"] == 2
    phone = next(r for r in board.fields if r.compared and r.errors)
    assert phone.errors == 1 and phone.compared == 4
    by_name = {r.name: r for r in board.operator_errors}
    assert by_name[str(world.clerk_b)].errors == 1 and by_name[str(world.clerk_a)].errors == 0
    assert {o.name for o in board.operators} == {str(world.clerk_a), str(world.clerk_b)}


def test_settled_records_count_as_exported_once_an_export_ran(project, world, batch):
    _key_twice(project, world, GOOD)
    job = exports.start_export(project, by=world.provincial_admin)
    run_jobs()
    assert Job.objects.get(pk=job.pk).state == Job.State.DONE
    assert dashboard.figures(project).batches[0].counts["exported"] == 1


def test_the_manager_sees_charts_with_tables_and_others_do_not(client, project, world, batch):
    _key_twice(project, world, {**GOOD, "phone": ""})
    url = reverse("registers:dashboard", args=[project.pk])
    client.force_login(world.provincial_admin)
    page = client.get(reverse("registers:project", args=[project.pk]))
    assert url in page.content.decode()
    answer = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    html = answer.content.decode()
    assert answer.status_code == 200
    assert html.count("<svg") == 6 and 'role="img"' in html and "style=" not in html
    assert "Progress of each batch" in html and "Quyển 1" in html
    assert "Vietnamese" not in html  # the English page
    vietnamese = client.get(url).content.decode()
    assert "Tiến độ" in vietnamese
    # operators and verifiers of the project, and outsiders, are refused
    for person in (world.clerk_a, world.supervisor_a, world.outsider):
        client.force_login(person)
        assert client.get(url).status_code in (403, 404)
