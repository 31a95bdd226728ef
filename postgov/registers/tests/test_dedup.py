"""Deduplication: the same person keyed twice is found (by the project-wide run and at
once when the second record settles), a person merges or separates, merges are undone,
and only the project's verifiers and managers see any of it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.registers import actions, dedup, dedup_actions, exports, jobs
from postgov.registers.models import (
    BlockingKey,
    DuplicateCandidate,
    DuplicateDecision,
    Job,
    LinkageModel,
    Record,
)
from postgov.registers.tests.conftest import GOOD, png_file, run_duplicate_checks

pytestmark = pytest.mark.clock

# The planted pair: GOOD keyed again without marks, day and month swapped, no ID number.
TWIN = {**GOOD, "full_name": "Nguyen Van An", "birth_date": "5/12/1985", "id_number": ""}
OTHERS = [
    {
        **GOOD,
        "full_name": "Trần Thị Bưởi",
        "birth_date": "03/04/1990",
        "gender": "female",
        "id_number": "",
    },
    {**GOOD, "full_name": "Lê Văn Tám", "birth_date": "1962", "id_number": ""},
    {
        **GOOD,
        "full_name": "Nguyễn Văn Ân",
        "birth_date": "12/05/1944",
        "id_number": "",
        "home_commune": "Đồng Hới",
    },
]


def settle_by_agreement(project, world, values):
    """Two operators key the same values: the record settles (sample 0 %)."""
    first = actions.next_keying(project, world.clerk_a)
    assert actions.submit_keying(first.pk, values, operator=world.clerk_a) == {}
    second = actions.next_keying(project, world.clerk_b)
    assert second.record_id == first.record_id
    assert actions.submit_keying(second.pk, values, operator=world.clerk_b) == {}
    run_duplicate_checks()  # queued with the settling, run by the worker
    record = Record.objects.get(pk=first.record_id)
    assert record.status == Record.Status.SETTLED
    return record


@pytest.fixture
def scans(project, world):
    return actions.add_batch(
        project,
        uploaded=png_file(pages=6),
        label="Quyển 2",
        pages_per_record=1,
        by=world.provincial_admin,
    )


def test_a_name_folds_with_d_mapped_and_words_in_any_order():
    keys = dedup.Keys("full_name", "birth_date", "id_number", "home_commune", "gender")
    one = dedup.person_row(1, {"full_name": "Đặng  Thị Thu Hà", "birth_date": "07/03/1985"}, keys)
    other = dedup.person_row(2, {"full_name": "Ha Thu Thi Dang", "birth_date": "1985"}, keys)
    assert one["name_folded"] == "dang thi thu ha"
    assert one["name_exact"] == "đặng thị thu hà"
    assert one["name_sorted"] == other["name_sorted"] == "dang ha thi thu"
    assert (one["family_name"], one["given_name"]) == ("dang", "ha")
    assert (one["birth_date"], one["birth_date_swapped"], one["birth_year"]) == (
        "1985-03-07",
        "1985-07-03",
        "1985",
    )
    assert (other["birth_date"], other["birth_year"]) == (None, "1985")  # only the year
    assert dedup.blocking_keys(one) & dedup.blocking_keys(other) == {"n|dang ha thi thu|1985"}


def test_the_planted_pair_is_found_when_it_settles(client, project, world, scans):
    original = settle_by_agreement(project, world, GOOD)
    assert BlockingKey.objects.filter(record=original).exists()
    for values in OTHERS:
        settle_by_agreement(project, world, values)
    assert not DuplicateCandidate.objects.exists()  # different people are left alone
    twin = settle_by_agreement(project, world, TWIN)
    candidate = DuplicateCandidate.objects.get()
    assert set(candidate.records.values_list("pk", flat=True)) == {original.pk, twin.pk}
    assert candidate.source == DuplicateCandidate.Source.SETTLED
    assert candidate.probability >= 0.9
    client.force_login(world.supervisor_a)
    page = client.get(reverse("registers:project", args=[project.pk])).content.decode()
    assert 'id="open-duplicates">1<' in page  # the project page counts what waits
    assert AuditEvent.objects.filter(action="registers.duplicate_found").exists()


def test_the_verifier_is_told_at_once_with_a_link(client, project, world, scans):
    original = settle_by_agreement(project, world, GOOD)
    first = actions.next_keying(project, world.clerk_a)
    actions.submit_keying(first.pk, TWIN, operator=world.clerk_a)
    second = actions.next_keying(project, world.clerk_b)
    actions.submit_keying(second.pk, {**TWIN, "phone": ""}, operator=world.clerk_b)
    client.force_login(world.supervisor_a)
    url = reverse("registers:adjudicate", args=[first.record_id])
    response = client.post(url, {"choice_phone": "1"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    candidate = DuplicateCandidate.objects.get()
    assert f"may be the same person as record {original.pk}" in page
    assert reverse("registers:duplicate", args=[candidate.pk]) in page


def test_the_run_finds_the_pair_and_a_person_merges_and_undoes(client, project, world, scans):
    original = settle_by_agreement(project, world, GOOD)
    for values in OTHERS:
        settle_by_agreement(project, world, values)
    twin = settle_by_agreement(project, world, TWIN)
    # as if settled before the check existed
    DuplicateCandidate.objects.all().delete()
    BlockingKey.objects.all().delete()

    job = dedup_actions.start(project, by=world.provincial_admin)
    jobs.run_job.call(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.failure
    assert job.result["trained"] is False  # six records: the fixed model
    assert LinkageModel.objects.get(project=project).model["comparisons"]
    candidate = DuplicateCandidate.objects.get()
    assert set(candidate.records.values_list("pk", flat=True)) == {original.pk, twin.pk}
    assert BlockingKey.objects.filter(record=twin).exists()  # indexed by the run
    client.force_login(world.provincial_admin)
    done = client.get(reverse("registers:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "1 new possible duplicate to review" in done.content.decode()

    client.force_login(world.supervisor_a)
    url = reverse("registers:duplicate", args=[candidate.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nguyen Van An" in page and "Nguyễn Văn An" in page
    listed = client.get(reverse("registers:dedup", args=[project.pk])).content.decode()
    assert "••••••••0123" in listed and "045085000123" not in listed  # masked in the list

    # the twin stays, with the original's name (marks) and birth date and ID number
    client.post(
        url,
        {
            "action": "merge",
            "survivor": twin.pk,
            "value_full_name": original.pk,
            "value_birth_date": original.pk,
            "value_id_number": original.pk,
        },
    )
    candidate.refresh_from_db()
    twin.refresh_from_db()
    assert candidate.status == DuplicateCandidate.Status.MERGED
    assert twin.values["full_name"] == "Nguyễn Văn An"
    assert twin.values["birth_date"] == "12/05/1985"
    assert twin.values["id_number"] == "045085000123"
    clean = set(dedup_actions.clean_records(project).values_list("pk", flat=True))
    assert original.pk not in clean and twin.pk in clean
    assert not BlockingKey.objects.filter(record=original).exists()
    assert AuditEvent.objects.filter(action="registers.duplicates_merged").exists()

    client.post(url, {"action": "undo"})
    candidate.refresh_from_db()
    twin.refresh_from_db()
    assert candidate.status == DuplicateCandidate.Status.OPEN
    assert twin.values == {**settled_values(TWIN, world)}
    assert original.pk in set(dedup_actions.clean_records(project).values_list("pk", flat=True))
    decision = DuplicateDecision.objects.get()
    assert decision.undone_by == world.supervisor_a and decision.undone_at is not None
    assert AuditEvent.objects.filter(action="registers.duplicate_decision_undone").exists()


def settled_values(values, world):
    """What the keying checks keep of `values` (normalised)."""
    return {
        **values,
        "birth_date": "05/12/1985",
        "home_commune": world.commune_a.code,
        "phone": "0912345678",
    }


def test_separated_records_are_not_proposed_again(client, project, world, scans):
    settle_by_agreement(project, world, GOOD)
    settle_by_agreement(project, world, TWIN)
    candidate = DuplicateCandidate.objects.get()
    client.force_login(world.provincial_admin)  # the manager
    client.post(reverse("registers:duplicate", args=[candidate.pk]), {"action": "separate"})
    candidate.refresh_from_db()
    assert candidate.status == DuplicateCandidate.Status.SEPARATE
    job = dedup_actions.start(project, by=world.provincial_admin)
    jobs.run_job.call(job.pk)
    assert DuplicateCandidate.objects.count() == 1
    assert Job.objects.get(pk=job.pk).result["candidates"] == 0


def test_a_decided_candidate_cannot_be_decided_twice(project, world, scans):
    original = settle_by_agreement(project, world, GOOD)
    settle_by_agreement(project, world, TWIN)
    candidate = DuplicateCandidate.objects.get()
    dedup_actions.merge(candidate.pk, survivor_pk=original.pk, chosen={}, by=world.supervisor_a)
    with pytest.raises(dedup_actions.DedupError):
        dedup_actions.separate(candidate.pk, by=world.supervisor_a)


def test_only_reviewers_of_the_project_see_duplicates(client, project, world, scans):
    settle_by_agreement(project, world, GOOD)
    settle_by_agreement(project, world, TWIN)
    candidate = DuplicateCandidate.objects.get()
    review = reverse("registers:duplicate", args=[candidate.pk])
    queue = reverse("registers:dedup", args=[project.pk])
    client.force_login(world.clerk_a)  # an operator of the project
    assert client.get(review).status_code == 404
    assert client.get(queue).status_code == 404
    assert client.post(review, {"action": "separate"}).status_code == 404
    client.force_login(world.outsider)
    assert client.get(review).status_code in (302, 403, 404)
    client.force_login(world.supervisor_a)  # a verifier: reviews, but does not run
    assert client.get(queue).status_code == 200
    assert client.post(reverse("registers:dedup_run", args=[project.pk])).status_code == 404
    candidate.refresh_from_db()
    assert candidate.status == DuplicateCandidate.Status.OPEN


def test_the_threshold_refuses_nonsense_and_keeps_a_number(client, project, world):
    client.force_login(world.provincial_admin)
    url = reverse("registers:dedup_threshold", args=[project.pk])
    page = client.post(url, {"threshold": "abc"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "between 0.5 and 0.999" in page.content.decode()
    client.post(url, {"threshold": "0,97"})
    assert LinkageModel.objects.get(project=project).threshold == 0.97


def test_an_export_leaves_out_a_record_merged_into_another(project, world, scans):
    original = settle_by_agreement(project, world, GOOD)
    twin = settle_by_agreement(project, world, TWIN)
    candidate = DuplicateCandidate.objects.get()
    dedup_actions.merge(candidate.pk, survivor_pk=original.pk, chosen={}, by=world.supervisor_a)
    assert exported(project, world) == {original.pk}
    dedup_actions.undo(candidate.pk, by=world.supervisor_a)
    assert exported(project, world) == {original.pk, twin.pk}


def exported(project, world) -> set[int]:
    """The record ids in a new export's manifest."""
    job = exports.start_export(project, by=world.provincial_admin)
    jobs.run_job.call(job.pk)
    manifest = exports.read_manifest(Job.objects.get(pk=job.pk))
    return {row[0] for row in manifest["records"]["list"]}


def test_names_are_weighed_by_frequency_but_not_in_the_check_at_settling():
    """A common name is weaker evidence across the register; a block of a few dozen
    candidates cannot tell how common a name is, so the check at settling goes without."""
    model = dedup.settings(10_000).get_settings("duckdb").as_dict()
    adjusted = [
        level.get("tf_adjustment_column")
        for comparison in model["comparisons"]
        for level in comparison["comparison_levels"]
    ]
    assert adjusted.count("name_exact") == 1 and adjusted.count("name_folded") == 2
    plain = dedup.without_term_frequencies(model)
    assert not any(
        "tf_adjustment_column" in level
        for comparison in plain["comparisons"]
        for level in comparison["comparison_levels"]
    )
    assert "tf_adjustment_column" in str(model)  # the project's model is left as it was
    assert dedup.without_term_frequencies(dedup.settings(10)) == dedup.without_term_frequencies(
        dedup.settings(10).get_settings("duckdb").as_dict()
    )
