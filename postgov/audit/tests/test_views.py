import pytest
from django.urls import reverse

from postgov.audit.actions import record
from postgov.audit.models import AuditEvent

EVENTS = reverse("audit:events")
VERIFY = reverse("audit:verify")


def test_it_checks_access(client, clerk_a, outsider, agency_officer):
    assert client.get(EVENTS).status_code == 302
    for person in (clerk_a, outsider, agency_officer):
        client.force_login(person)
        assert client.get(EVENTS).status_code == 403
        assert client.post(VERIFY).status_code == 403


@pytest.mark.parametrize("who", ["auditor", "provincial_admin"])
def test_oversight_sees_events_of_its_province(client, world, who):
    record(
        "dossier.sealed",
        actor=world.clerk_a,
        service_point_id=world.point_a.pk,
        object_type="dossiers.dossier",
        object_id="42",
    )
    client.force_login(getattr(world, who))
    body = client.get(EVENTS, {"action": "dossier."}).content.decode()
    assert "dossier.sealed" in body and "clerk_a" in body


def test_events_of_another_province_stay_hidden(client, world, auditor):
    record("dossier.sealed", service_point_id=999_999, object_id="elsewhere")
    client.force_login(auditor)
    assert "elsewhere" not in client.get(EVENTS).content.decode()


def test_verify_reports_and_is_itself_audited(client, auditor):
    client.force_login(auditor)
    response = client.post(VERIFY, follow=True)
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="audit.verified").exists()


# -- search ------------------------------------------------------------------------------------


def _found(client, who, text):
    """The events the page lists for a search."""
    client.force_login(who)
    response = client.get(EVENTS, {"q": text})
    assert response.status_code == 200
    return list(response.context["page_obj"])


def _shown(client, who, text):
    """The (action, object as shown) pairs of the events the page lists for a search."""
    return {(e.action, f"{e.object_type}:{e.object_id}") for e in _found(client, who, text)}


@pytest.fixture
def trail(world):
    """Events about a dossier of point A (code H44-0001, id whatever it gets), about other
    objects whose ids share its digits, and the same dossier's twin in another province."""
    from postgov.dossiers.models import Dossier
    from tests.factories import make_dossier
    from tests.personas import make_second_province

    dossier = make_dossier(world, status="sealed", code="000.00.44.H57-261204-0001")
    other = make_dossier(world, status="sealed", code="000.00.44.H57-261204-0002")
    record("dossier.sealed", actor=world.clerk_a, service_point_id=world.point_a.pk, obj=dossier)
    record(
        "dossier.dispatched", actor=world.postman_a, service_point_id=world.point_a.pk, obj=dossier
    )
    record("dossier.sealed", actor=world.clerk_a, service_point_id=world.point_a.pk, obj=other)
    for object_id in ("3", "33", "13"):
        record(
            "places.point_changed",
            actor=world.provincial_admin,
            service_point_id=world.point_a.pk,
            object_type="places.servicepoint",
            object_id=object_id,
        )
    elsewhere = make_second_province()
    record(
        "dossier.sealed",
        actor=elsewhere.clerk,
        service_point_id=elsewhere.point.pk,
        object_type=Dossier._meta.label_lower,
        object_id="3",
    )
    return dossier, other


@pytest.mark.parametrize("who", ["auditor", "provincial_admin"])
def test_search_by_dossier_code_finds_that_dossier_only(client, world, trail, who):
    dossier, _other = trail
    label = f"dossiers.dossier:{dossier.pk}"
    found = _shown(client, getattr(world, who), dossier.code)
    assert found == {("dossier.sealed", label), ("dossier.dispatched", label)}
    # Codes are printed in capitals; typed in small letters they are the same code.
    assert _shown(client, world.auditor, f"  {dossier.code.lower()} ") == found


def test_search_by_the_object_as_the_page_shows_it(client, world, trail):
    dossier, _other = trail
    label = f"dossiers.dossier:{dossier.pk}"
    assert _shown(client, world.auditor, label) == {
        ("dossier.sealed", label),
        ("dossier.dispatched", label),
    }
    body = client.get(EVENTS, {"q": label}).content.decode()
    assert f'value="{label}"' in body  # what was typed stays in the box


def test_an_id_matches_exactly_not_as_part_of_a_longer_one(client, world, trail):
    found = _shown(client, world.auditor, "3")
    assert ("places.point_changed", "places.servicepoint:3") in found
    assert not [shown for _action, shown in found if shown.endswith((":33", ":13"))]
    assert _shown(client, world.auditor, "places.servicepoint:3") == {
        ("places.point_changed", "places.servicepoint:3")
    }


def test_search_by_event_number(client, world, trail):
    event = AuditEvent.objects.filter(object_id="33").get()
    assert _shown(client, world.auditor, f"#{event.seq}") == {
        ("places.point_changed", "places.servicepoint:33")
    }


def test_search_by_actor_and_by_action(client, world, trail):
    dossier, other = trail
    by_postman = _shown(client, world.auditor, "POSTMAN_A")
    assert by_postman == {("dossier.dispatched", f"dossiers.dossier:{dossier.pk}")}
    by_action = _shown(client, world.auditor, "dossier.")
    assert by_action == {
        ("dossier.sealed", f"dossiers.dossier:{dossier.pk}"),
        ("dossier.dispatched", f"dossiers.dossier:{dossier.pk}"),
        ("dossier.sealed", f"dossiers.dossier:{other.pk}"),
    }


def test_search_stays_in_the_province(client, world, trail):
    from postgov.identity.models import Role
    from postgov.places.models import Province
    from tests.personas import give_role, make_user

    hue = AuditEvent.objects.get(actor_label="clerk_hue")
    for text in ("dossiers.dossier:3", "3", "clerk_hue", f"#{hue.seq}", "dossier.sealed"):
        assert hue not in _found(client, world.auditor, text), text
    hue_auditor = make_user("auditor_hue", "Lê Thị Huế")
    give_role(hue_auditor, Role.AUDITOR, province=Province.objects.get(code="46"))
    assert _found(client, hue_auditor, "dossiers.dossier:3") == [hue]
    assert _found(client, hue_auditor, "clerk_hue") == [hue]


def test_a_search_is_itself_recorded(client, world, trail):
    dossier, _other = trail
    found = _found(client, world.auditor, dossier.code)
    searched = AuditEvent.objects.get(action="audit.searched")
    assert searched.actor_id == world.auditor.pk and searched not in found
    assert searched.details == {"q": dossier.code, "page": 1, "found": 2}
    _found(client, world.auditor, "")  # the plain listing is not a search
    assert AuditEvent.objects.filter(action="audit.searched").count() == 1


def test_nothing_matches_words_that_name_nothing(client, world, trail):
    assert _shown(client, world.auditor, "no such thing") == set()
    assert _shown(client, world.auditor, "000.00.44.H57-261204-9999") == set()


@pytest.mark.parametrize(
    "text",
    ["000.00.44.H57-261204-0001", "dossiers.dossier:1", "3", "#3", "clerk_a", "dossier."],
)
def test_a_search_reads_the_trail_through_its_indexes(client, world, trail, text):
    """Every search is a lookup in an index of the trail, never a walk through all of it
    (the trail only grows). SQLite tells its plan plainly; PostgreSQL's planner walks a
    tiny test table whatever its indexes, so this is asked of SQLite."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("query plans are compared on SQLite")
    client.force_login(world.auditor)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(EVENTS, {"q": text}).status_code == 200
    plans = []
    for query in queries.captured_queries:
        if 'FROM "audit_auditevent"' in query["sql"] and query["sql"].startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
                plans += [row[3] for row in cursor.fetchall()]
    assert plans, "no query read the trail"
    assert "SCAN audit_auditevent" not in plans
    assert not [step for step in plans if step.startswith("SCAN audit_auditevent USING")]
