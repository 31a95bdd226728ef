"""The audit trail: a provincial auditor sees the events about their province and no
citizen's account activity elsewhere; someone holding write access to the database but
not the chain's key cannot rewrite events and recompute the chain unnoticed.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.audit.actions import record
from postgov.identity.models import Role
from postgov.places.models import Commune, Province, ServicePoint
from tests.personas import give_role, make_user

pytestmark = pytest.mark.django_db
EVENTS = reverse("audit:events")


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
