"""Immediate verification and double keying of a sample: who is served what, what the
second operator is told, when a record settles, and who is held to have erred."""

from __future__ import annotations

import random

import pytest
from django.urls import reverse

from postgov.registers import actions, comparison, keying_modes, stats
from postgov.registers.models import BlockingKey, Keying, Project, Record, RecordIndex, Rekey
from postgov.registers.tests.conftest import GOOD, png_file

pytestmark = pytest.mark.clock


def _mode(project, mode, percent=0):
    project.keying_mode = mode
    project.sample_percent = percent
    project.save()


def test_immediate_second_keyer_waits_for_the_first_entry(project, world, batch):
    _mode(project, Project.KeyingMode.IMMEDIATE)
    batch.records.exclude(number=1).delete()
    first = actions.next_keying(project, world.clerk_a)
    assert actions.next_keying(project, world.clerk_b) is None  # slot 1 still open
    actions.submit_keying(first.pk, GOOD, operator=world.clerk_a)
    second = actions.next_keying(project, world.clerk_b)
    assert second.slot == 2 and second.record == first.record


def test_immediate_verification_flags_a_differing_field_without_showing_it(
    client, project, world, batch
):
    _mode(project, Project.KeyingMode.IMMEDIATE)
    first = actions.next_keying(project, world.clerk_a)
    actions.submit_keying(first.pk, GOOD, operator=world.clerk_a)
    second = actions.next_keying(project, world.clerk_b)
    client.force_login(world.clerk_b)
    url = reverse("registers:keying_field", args=[second.pk])
    same = client.post(url, {"key": "full_name", "value": GOOD["full_name"]}).json()
    assert same["error"] == "" and "again" not in same
    flagged = client.post(
        url, {"key": "id_number", "value": "045085000124"}, HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert flagged["again"] and "differs from the first entry" in flagged["error"]
    assert GOOD["id_number"] not in str(flagged)
    page = client.get(reverse("registers:keying", args=[second.pk])).content.decode()
    assert GOOD["id_number"] not in page and "045085000124" not in page  # blanked, not shown
    again = client.post(url, {"key": "id_number", "value": GOOD["id_number"]}).json()
    assert again["error"] == "" and "again" not in again
    rekey = Rekey.objects.get(keying=second)
    assert rekey.first_try == "045085000124" and rekey.matched_first_entry


def test_immediate_verification_settles_on_the_second_keyers_decision(project, world, batch):
    _mode(project, Project.KeyingMode.IMMEDIATE)
    first = actions.next_keying(project, world.clerk_a)
    actions.submit_keying(first.pk, {**GOOD, "full_name": "Nguyễn Văn Ân"}, operator=world.clerk_a)
    second = actions.next_keying(project, world.clerk_b)
    # keyed in the form at once: the differing field is flagged on submitting
    errors = actions.submit_keying(second.pk, GOOD, operator=world.clerk_b)
    assert list(errors) == ["full_name"]
    assert Record.objects.get(pk=first.record_id).status == Record.Status.KEYING
    # keyed again, the same: the operator stands by it, so the first entry was wrong
    assert actions.submit_keying(second.pk, GOOD, operator=world.clerk_b) == {}
    record = Record.objects.get(pk=first.record_id)
    assert record.status == Record.Status.SETTLED and record.verifier is None
    assert record.values["full_name"] == "Nguyễn Văn An"
    rekey = Rekey.objects.get(keying=second)
    assert (rekey.wrong_1, rekey.wrong_2, rekey.matched_first_entry) == (True, False, False)
    operators, fields = comparison.agreement_tables(project)
    assert {t.name: t.errors for t in operators} == {
        str(world.clerk_a): 1,
        str(world.clerk_b): 0,
    }
    assert {t.name: t.agreed for t in fields}["full_name"] == 0


def test_immediate_second_try_matching_the_first_entry_is_the_second_keyers_error(
    project, world, batch
):
    _mode(project, Project.KeyingMode.IMMEDIATE)
    first = actions.next_keying(project, world.clerk_a)
    actions.submit_keying(first.pk, GOOD, operator=world.clerk_a)
    second = actions.next_keying(project, world.clerk_b)
    checked = actions.save_value(second.pk, "birth_date", "12/5/1958", operator=world.clerk_b)
    assert checked.error == keying_modes.differs_message()
    assert (
        actions.save_value(second.pk, "birth_date", "12/5/1985", operator=world.clerk_b).error == ""
    )
    assert actions.submit_keying(second.pk, GOOD, operator=world.clerk_b) == {}
    rekey = Rekey.objects.get(keying=second)
    assert (rekey.wrong_1, rekey.wrong_2) == (False, True)
    assert Record.objects.get(pk=first.record_id).status == Record.Status.SETTLED


def test_immediate_quality_sample_goes_to_a_verifier(project, world, batch):
    _mode(project, Project.KeyingMode.IMMEDIATE, percent=100)
    first = actions.next_keying(project, world.clerk_a)
    actions.submit_keying(first.pk, GOOD, operator=world.clerk_a)
    second = actions.next_keying(project, world.clerk_b)
    actions.submit_keying(second.pk, GOOD, operator=world.clerk_b)
    record = Record.objects.get(pk=first.record_id)
    assert record.status == Record.Status.ADJUDICATION and record.in_sample


def test_sample_double_keys_a_drawn_share_twice(project, world, monkeypatch):
    _mode(project, Project.KeyingMode.SAMPLE_DOUBLE, percent=30)
    monkeypatch.setattr(keying_modes, "chance", random.Random(14))
    expected = random.Random(14)
    actions.add_batch(
        project,
        uploaded=png_file(pages=10),
        label="",
        pages_per_record=1,
        by=world.provincial_admin,
    )
    drawn = []
    for _ in range(10):
        keying = actions.next_keying(project, world.clerk_a)
        assert keying.slot == 1
        assert actions.submit_keying(keying.pk, GOOD, operator=world.clerk_a) == {}
        if expected.randrange(100) < 30:
            drawn.append(keying.record_id)
    assert actions.next_keying(project, world.clerk_a) is None  # never the same record twice
    assert 0 < len(drawn) < 10
    settled = set(Record.objects.filter(status=Record.Status.SETTLED).values_list("pk", flat=True))
    waiting = set(Record.objects.filter(status=Record.Status.KEYING).values_list("pk", flat=True))
    assert waiting == set(drawn) and len(settled) == 10 - len(drawn)
    # the drawn ones get a blind second entry and the comparison
    second = actions.next_keying(project, world.clerk_b)
    assert second.record_id in drawn and second.slot == 2 and second.values == {}
    actions.submit_keying(second.pk, {**GOOD, "phone": ""}, operator=world.clerk_b)
    assert Record.objects.get(pk=second.record_id).status == Record.Status.ADJUDICATION
    assert Keying.objects.filter(record_id__in=settled, slot=2).count() == 0
    assert stats.recount(project) == stats.stored(project)


def test_a_project_switched_to_immediate_compares_entries_already_open(project, world, batch):
    batch.records.exclude(number=1).delete()
    first = actions.next_keying(project, world.clerk_a)
    second = actions.next_keying(project, world.clerk_b)
    assert (first.record, second.slot) == (second.record, 2)
    _mode(project, Project.KeyingMode.IMMEDIATE)
    assert actions.submit_keying(second.pk, GOOD, operator=world.clerk_b) == {}
    assert actions.submit_keying(first.pk, GOOD, operator=world.clerk_a) == {}
    assert Record.objects.get(pk=first.record_id).status == Record.Status.SETTLED
    assert stats.recount(project) == stats.stored(project)


@pytest.mark.parametrize("mode", [Project.KeyingMode.SAMPLE_DOUBLE, Project.KeyingMode.IMMEDIATE])
def test_a_record_settled_by_either_mode_is_searchable_and_checked_for_duplicates(
    project, world, batch, mode
):
    _mode(project, mode)
    first = actions.next_keying(project, world.clerk_a)
    actions.submit_keying(first.pk, GOOD, operator=world.clerk_a)
    if mode == Project.KeyingMode.IMMEDIATE:
        second = actions.next_keying(project, world.clerk_b)
        actions.submit_keying(second.pk, GOOD, operator=world.clerk_b)
    row = Record.objects.get(pk=first.record_id)
    assert row.status == Record.Status.SETTLED
    assert RecordIndex.objects.filter(record=row).exists()
    assert BlockingKey.objects.filter(record=row).exists()
