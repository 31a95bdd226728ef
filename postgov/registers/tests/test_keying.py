"""Blind double keying, from the operator's request for a record to the verifier's
decision: who is served what, what they see, what is kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from postgov.audit.models import AuditEvent
from postgov.registers import actions, comparison
from postgov.registers.models import Decision, Keying, Membership, Record
from postgov.registers.tests.conftest import GOOD, png_file

pytestmark = pytest.mark.clock


def key_all(keying, values, operator):
    return actions.submit_keying(keying.pk, values, operator=operator)


def test_editing_a_schema_in_use_makes_a_new_version(project, world):
    admin = world.provincial_admin
    fields = list(project.current_schema().fields)
    unused = actions.save_schema(project, fields[:-1], by=admin)
    assert unused.number == 1  # no record yet: changed in place
    actions.add_batch(project, uploaded=png_file(), label="", pages_per_record=1, by=admin)
    record = Record.objects.get(project=project)
    assert record.schema.number == 1
    newer = actions.save_schema(project, fields, by=admin)
    assert newer.number == 2
    record.refresh_from_db()
    assert record.schema.number == 1 and len(record.schema.fields) == len(fields) - 1
    later = actions.add_batch(project, uploaded=png_file(), label="", pages_per_record=1, by=admin)
    assert later.records.get().schema == newer


def test_upload_cuts_pages_into_records(project, world, batch):
    assert batch.pages == 3 and batch.records.count() == 3
    two = actions.add_batch(
        project, uploaded=png_file(pages=3), label="", pages_per_record=2, by=world.provincial_admin
    )
    assert [r.pages.count() for r in two.records.all()] == [2, 1]


def test_a_record_is_keyed_by_two_different_operators(project, world, batch):
    first = actions.next_keying(project, world.clerk_a)
    assert actions.next_keying(project, world.clerk_a) == first  # the one left open
    assert key_all(first, GOOD, world.clerk_a) == {}
    # clerk_a goes on with another record, never the same one again
    again = actions.next_keying(project, world.clerk_a)
    assert again.record != first.record
    second = actions.next_keying(project, world.clerk_b)
    assert second.record == first.record and second.slot == 2  # records with an entry first
    third = actions.next_keying(project, world.postman_a)
    assert third.record not in {first.record}
    for record in Record.objects.filter(project=project):
        operators = [k.operator_id for k in record.keyings.all()]
        assert len(operators) == len(set(operators)) <= 2


def test_agreeing_entries_settle_the_record(project, world, batch):
    first = actions.next_keying(project, world.clerk_a)
    key_all(first, GOOD, world.clerk_a)
    second = actions.next_keying(project, world.clerk_b)
    key_all(second, {**GOOD, "phone": "0912345678"}, world.clerk_b)  # same once normalised
    record = Record.objects.get(pk=first.record_id)
    assert record.status == Record.Status.SETTLED
    assert record.values["home_commune"] == world.commune_a.code
    assert record.values["id_number"] == "045085000123"


def test_the_quality_sample_sends_agreed_records_to_a_verifier(project, world, batch):
    project.sample_percent = 100
    project.save()
    key_all(actions.next_keying(project, world.clerk_a), GOOD, world.clerk_a)
    key_all(actions.next_keying(project, world.clerk_b), GOOD, world.clerk_b)
    record = Record.objects.get(status=Record.Status.ADJUDICATION)
    assert record.in_sample
    assert comparison.keys_to_decide(record) == [f["key"] for f in record.schema.fields]


def test_the_second_keyer_does_not_see_the_first_entry(client, project, world, batch):
    first = actions.next_keying(project, world.clerk_a)
    key_all(first, {**GOOD, "full_name": "Trần Thị Bưởi"}, world.clerk_a)
    client.force_login(world.clerk_b)
    response = client.post(reverse("registers:keying_next", args=[project.pk]))
    keying = Keying.objects.get(operator=world.clerk_b)
    assert keying.record_id == first.record_id
    assert response.url == reverse("registers:keying", args=[keying.pk])
    page = client.get(response.url).content.decode()
    assert "Bưởi" not in page and "045085000123" not in page
    # nor can they open the first operator's keying
    assert client.get(reverse("registers:keying", args=[first.pk])).status_code == 404


def test_submitting_checks_access(client, project, world, batch):
    first = actions.next_keying(project, world.clerk_a)
    actions.save_value(first.pk, "full_name", GOOD["full_name"], operator=world.clerk_a)
    url = reverse("registers:keying_submit", args=[first.pk])
    # another operator of the project may not save the first operator's keying
    client.force_login(world.clerk_b)
    assert client.post(url, GOOD).status_code == 404
    # nor may its own operator once they are no longer an operator of the project
    Membership.objects.filter(project=project, user=world.clerk_a).delete()
    client.force_login(world.clerk_a)
    assert client.post(url, GOOD).status_code == 404
    first.refresh_from_db()
    assert first.status == Keying.Status.OPEN and first.values["full_name"] == GOOD["full_name"]
    assert not AuditEvent.objects.filter(action="registers.keying_submitted").exists()


def test_each_field_is_saved_as_typed_and_a_reload_shows_it(client, project, world, batch):
    client.force_login(world.clerk_a)
    keying = actions.next_keying(project, world.clerk_a)
    url = reverse("registers:keying_field", args=[keying.pk])
    answer = client.post(
        url, {"key": "birth_date", "value": "31/02/1985"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.json() == {"saved": True, "value": "31/02/1985", "error": answer.json()["error"]}
    assert "dd/mm/yyyy" in answer.json()["error"]
    assert client.post(url, {"key": "full_name", "value": "Lê Thị Hoa"}).json()["error"] == ""
    page = client.get(reverse("registers:keying", args=[keying.pk])).content.decode()
    assert 'value="Lê Thị Hoa"' in page and 'value="31/02/1985"' in page
    # Saving with an error keeps everything and says what is wrong, in the page's language.
    response = client.post(
        reverse("registers:keying_submit", args=[keying.pk]),
        {**GOOD, "birth_date": "31/02/1985"},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert response.status_code == 422
    assert "Nhập ngày theo dạng" in response.content.decode()
    keying.refresh_from_db()
    assert keying.status == Keying.Status.OPEN and keying.values["full_name"] == GOOD["full_name"]


def test_save_and_next_serves_the_next_record_at_once(client, project, world, batch):
    client.force_login(world.clerk_a)
    keying = actions.next_keying(project, world.clerk_a)
    response = client.post(reverse("registers:keying_submit", args=[keying.pk]), GOOD)
    following = Keying.objects.get(operator=world.clerk_a, status=Keying.Status.OPEN)
    assert response.status_code == 302
    assert response.url == reverse("registers:keying", args=[following.pk])


def test_an_expired_claim_is_taken_over_with_a_clear_message(client, project, world, _pinned_clock):
    actions.add_batch(
        project, uploaded=png_file(), label="", pages_per_record=1, by=world.provincial_admin
    )
    first = actions.next_keying(project, world.clerk_a)
    actions.save_value(first.pk, "full_name", "Phan Văn Tèo", operator=world.clerk_a)
    second = actions.next_keying(project, world.clerk_b)
    assert second.slot == 2
    assert actions.next_keying(project, world.postman_a) is None  # both slots held
    _pinned_clock.shift(actions.CLAIM + timedelta(minutes=1))
    taken = actions.next_keying(project, world.postman_a)
    assert taken.record_id == first.record_id
    first.refresh_from_db()
    assert first.status == Keying.Status.ABANDONED and first.values["full_name"] == "Phan Văn Tèo"
    assert "phan" not in str(taken.values).lower()  # the newcomer starts blind
    client.force_login(world.clerk_a)
    answer = client.post(
        reverse("registers:keying_field", args=[first.pk]),
        {"key": "full_name", "value": "x"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 409 and "another operator" in answer.json()["closed"]
    assert AuditEvent.objects.filter(action="registers.keying_taken_over").count() == 1


def test_the_verifier_settles_differences_and_errors_are_attributed(client, project, world, batch):
    first = actions.next_keying(project, world.clerk_a)
    key_all(first, GOOD, world.clerk_a)
    second = actions.next_keying(project, world.clerk_b)
    key_all(second, {**GOOD, "full_name": "Nguyễn Văn Ân", "birth_date": "1985"}, world.clerk_b)
    record = Record.objects.get(pk=first.record_id)
    assert record.status == Record.Status.ADJUDICATION
    assert comparison.keys_to_decide(record) == ["full_name", "birth_date"]

    # an operator who keyed it may not settle it
    Membership.objects.create(
        project=project, user=world.clerk_a, role="verifier", added_by=world.provincial_admin
    )
    assert actions.next_adjudication(project, world.clerk_a) is None

    client.force_login(world.supervisor_a)
    response = client.post(reverse("registers:adjudicate_next", args=[project.pk]))
    assert response.url == reverse("registers:adjudicate", args=[record.pk])
    page = client.get(response.url).content.decode()
    assert "Nguyễn Văn Ân" in page and "household_head" not in page  # only what differs
    refused = client.post(
        response.url,
        {"choice_full_name": "1", "choice_birth_date": "typed", "value_birth_date": "30/02/1985"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 422 and "Enter a date as" in refused.content.decode()
    settled = client.post(
        response.url,
        {"choice_full_name": "1", "choice_birth_date": "typed", "value_birth_date": "2/5/1985"},
    )
    assert settled.status_code == 302
    record.refresh_from_db()
    assert record.status == Record.Status.SETTLED
    assert record.values["full_name"] == "Nguyễn Văn An"
    assert record.values["birth_date"] == "02/05/1985"
    decisions = {d.field_key: d for d in Decision.objects.filter(record=record)}
    assert (
        decisions["full_name"].choice == "1"
        and decisions["full_name"].decided_by == world.supervisor_a
    )
    assert (decisions["full_name"].wrong_1, decisions["full_name"].wrong_2) == (False, True)
    assert (decisions["birth_date"].wrong_1, decisions["birth_date"].wrong_2) == (True, True)
    operators, fields = comparison.agreement_tables(project)
    errors = {t.name: t.errors for t in operators}
    assert errors == {str(world.clerk_a): 1, str(world.clerk_b): 2}
    assert {t.name: t.agreed for t in fields}["full_name"] == 0
    with translation.override("en"):
        table = client.get(
            reverse("registers:project", args=[project.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
    assert "Agreement per operator" in table.content.decode()
    assert AuditEvent.objects.filter(action="registers.record_settled").exists()
    assert AuditEvent.objects.filter(action="registers.record_viewed").count() >= 1


def test_viewing_a_record_is_audited(client, project, world, batch):
    client.force_login(world.clerk_a)
    keying = actions.next_keying(project, world.clerk_a)
    client.get(reverse("registers:keying", args=[keying.pk]))
    event = AuditEvent.objects.get(action="registers.record_viewed")
    assert event.actor_id == world.clerk_a.pk and event.object_id == str(keying.record_id)


def test_the_keying_page_speaks_the_page_language(client, project, world, batch):
    client.force_login(world.clerk_a)
    keying = actions.next_keying(project, world.clerk_a)
    url = reverse("registers:keying", args=[keying.pk])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Full name" in english and "Save and next" in english and "Họ và tên" not in english
    vietnamese = client.get(url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert (
        "Họ và tên" in vietnamese and "Lưu và tiếp" in vietnamese and "Full name" not in vietnamese
    )
