"""The audit trail: a provincial auditor sees the events about their province and no
citizen's account activity elsewhere; someone holding write access to the database but
not the chain's key cannot rewrite events and recompute the chain unnoticed.
"""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from postgov.audit.actions import (
    GENESIS_HASH,
    chain_keys,
    key_id_of,
    plain_hash,
    record,
    verify_chain,
)
from postgov.audit.models import AuditChainHead, AuditEvent
from postgov.identity.models import Role
from postgov.places.models import Commune, Province, ServicePoint
from tests.personas import give_role, make_user

pytestmark = pytest.mark.django_db
EVENTS = reverse("audit:events")
OLD_KEY = "old-audit-chain-key-" + "o" * 32
NEW_KEY = "new-audit-chain-key-" + "n" * 32


# -- scope ---------------------------------------------------------------------------------
@pytest.fixture
def elsewhere(world):
    """Another province, with a post office and its clerk."""
    province = Province.objects.create(
        code="46", name="Thành phố Huế", short_name="Huế", latitude=16.46, longitude=107.59
    )
    commune = Commune.objects.create(
        code="19900",
        province=province,
        name="Phường Thuận Hóa",
        short_name="Thuận Hóa",
        kind=Commune.Kind.WARD,
        latitude=16.46,
        longitude=107.59,
    )
    point = ServicePoint.objects.create(
        code="TEST-HUE",
        name="Bưu điện Huế",
        kind=ServicePoint.Kind.POST_OFFICE_1,
        address="8 Hoàng Hoa Thám",
        commune=commune,
        postal_code="49000",
    )
    clerk = make_user("clerk_hue", "Lê Thị Huế")
    give_role(clerk, Role.CLERK, service_point=point)
    return point, clerk


def visible_to(client, person) -> str:
    client.force_login(person)
    return client.get(EVENTS, {"action": "test."}).content.decode()


def test_a_provincial_auditor_does_not_see_citizens_account_activity(client, world):
    record("test.citizen_login", actor=world.citizen, object_id="citizen-login")
    record(
        "test.citizen_consent",
        actor=world.citizen,
        object_type="identity.relyingparty",
        object_id="portal-consent",
    )
    record("test.national_load", object_id="national-load")  # a command, no one's province
    for person in (world.auditor, world.provincial_admin):
        body = visible_to(client, person)
        assert "citizen-login" not in body
        assert "portal-consent" not in body
        assert "national-load" not in body


def test_a_provincial_auditor_sees_what_happened_in_their_province(client, world):
    # A citizen at a counter of the province (proofing records the point).
    record("test.proofing", actor=world.citizen, service_point_id=world.point_a.pk, object_id="p1")
    # A dossier handled by an agency of the province.
    record("test.dossier", agency_id=world.agency_a.pk, object_id="d1")
    # The province's staff, wherever their event has no place (a clerk's login).
    record("test.staff_login", actor=world.clerk_a, object_id="s1")
    # A change to one of the province's points by someone with no role there.
    record(
        "test.point_changed",
        actor=world.outsider,
        object_type="places.servicepoint",
        object_id=world.point_b.pk,
    )
    body = visible_to(client, world.auditor)
    for marker in ("test.proofing", "test.dossier", "test.staff_login", "test.point_changed"):
        assert marker in body


def test_another_provinces_events_and_staff_stay_hidden(client, world, elsewhere):
    point, clerk = elsewhere
    record("test.sealed_elsewhere", actor=clerk, service_point_id=point.pk, object_id="hue-1")
    record("test.login_elsewhere", actor=clerk, object_id="hue-2")
    record(
        "test.point_elsewhere",
        actor=world.outsider,
        object_type="places.servicepoint",
        object_id=point.pk,
    )
    body = visible_to(client, world.auditor)
    assert "hue-1" not in body and "hue-2" not in body and "test.point_elsewhere" not in body
    client.force_login(clerk)
    assert client.get(EVENTS).status_code == 403  # a clerk oversees nothing


# -- the keyed chain -------------------------------------------------------------------------
def _rows(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{t}", AuditEvent._meta.db_table), params)


def _recompute_without_the_key(from_seq: int, **edit) -> None:
    """What someone with database access alone can do: edit an event, then recompute the
    hashes of it and of every later event with the only function they have, SHA-256."""
    prev = AuditEvent.objects.get(seq=from_seq - 1).hash if from_seq > 1 else GENESIS_HASH
    for event in AuditEvent.objects.filter(seq__gte=from_seq).order_by("seq"):
        if event.seq == from_seq:
            for name, value in edit.items():
                setattr(event, name, value)
        event.prev_hash = prev
        event.hash = prev = plain_hash(event)
        _rows(
            "UPDATE {t} SET action = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [event.action, event.prev_hash, event.hash, event.seq],
        )
    AuditChainHead.objects.update(last_hash=prev)


def test_new_events_are_chained_with_the_key_not_plain_sha256(settings):
    event = record("test.keyed")
    assert event.key_id == chain_keys()[0] == key_id_of(settings.AUDIT_CHAIN_KEYS[0])
    assert event.hash != plain_hash(event)
    assert verify_chain() == (1, [])


def test_an_edit_recomputed_without_the_key_is_reported(capsys):
    events = [record(f"test.step{i}") for i in range(4)]
    _recompute_without_the_key(events[1].seq, action="test.forged")
    checked, problems = verify_chain()
    assert checked == 4
    assert {p.seq for p in problems} == {e.seq for e in events[1:]}
    assert all("recomputed without the key" in p.problem for p in problems)
    with pytest.raises(CommandError, match="Audit chain broken"):
        call_command("audit_verify")
    assert "recomputed without the key" in capsys.readouterr().err


def test_rewriting_keyed_events_as_unkeyed_is_reported():
    events = [record(f"test.step{i}") for i in range(3)]
    _rows("UPDATE {t} SET key_id = '' WHERE seq >= %s", [events[1].seq])
    _recompute_without_the_key(events[1].seq, action="test.forged")
    _, problems = verify_chain()
    assert problems and problems[0].seq == events[1].seq
    assert "without the key" in problems[0].problem


def test_a_whole_chain_rewritten_without_the_key_is_caught_with_keyed_from():
    events = [record(f"test.step{i}") for i in range(3)]
    _rows("UPDATE {t} SET key_id = ''")
    _recompute_without_the_key(events[0].seq, action="test.forged")
    assert verify_chain() == (3, [])  # nothing in the database tells a keyed chain existed
    _, problems = verify_chain(keyed_from=events[0].seq)
    assert [p.seq for p in problems] == [e.seq for e in events]
    with pytest.raises(CommandError):
        call_command("audit_verify", keyed_from=events[0].seq)


def test_events_chained_before_the_key_still_verify_and_are_sealed_by_the_first_keyed_one(
    capsys,
):
    """Rows written before the chain had a key (plain SHA-256, no key id) keep verifying;
    the first keyed event's HMAC covers the last of them, so they cannot be rewritten."""
    old = [record(f"test.before{i}") for i in range(2)]
    _rows("UPDATE {t} SET key_id = ''")
    _recompute_without_the_key(old[0].seq)  # as the previous version chained them
    keyed = record("test.after")
    assert verify_chain() == (3, [])
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert f"--keyed-from {keyed.seq}" in out and "intact" in out
    _recompute_without_the_key(old[1].seq, action="test.forged")
    _, problems = verify_chain()
    assert [p.seq for p in problems] == [keyed.seq]  # the keyed event no longer matches


def test_a_rotated_key_keeps_old_events_verifying(settings):
    settings.AUDIT_CHAIN_KEYS = (OLD_KEY,)
    first = record("test.old_key")
    settings.AUDIT_CHAIN_KEYS = (NEW_KEY, OLD_KEY)
    second = record("test.new_key")
    assert (first.key_id, second.key_id) == (key_id_of(OLD_KEY), key_id_of(NEW_KEY))
    assert verify_chain() == (2, [])
    settings.AUDIT_CHAIN_KEYS = (NEW_KEY,)  # the old key dropped too early
    _, problems = verify_chain()
    assert [p.seq for p in problems] == [first.seq]
    assert "not configured" in problems[0].problem


def test_a_hash_under_another_key_is_reported(settings):
    record("test.one")
    settings.AUDIT_CHAIN_KEYS = ("attacker-chosen-key-" + "a" * 32,)
    _, problems = verify_chain()
    assert problems and "not configured" in problems[0].problem


def test_keying_adds_no_query_to_the_chain_head(django_assert_num_queries):
    record("test.warm")
    # Taking the head, then inserting the event and moving the head on (one statement on
    # PostgreSQL, two elsewhere): as before the key.
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 3):
        record("test.one")


def test_key_ids_reveal_nothing_of_the_key():
    assert key_id_of(NEW_KEY) != key_id_of(OLD_KEY)
    assert len(key_id_of(NEW_KEY)) == 16
    assert key_id_of(NEW_KEY) not in hashlib.sha256(NEW_KEY.encode()).hexdigest()
