"""A result out for delivery is carried by one postman: the one who takes it out, or the one
a supervisor of the post office chooses; only that postman's route shows it; audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.dossiers.actions import TransitionError
from postgov.dossiers.carriage import returns
from postgov.dossiers.models import Dossier
from postgov.identity.access import Access
from postgov.identity.models import Role
from tests.agency_helpers import handed_over, move
from tests.personas import give_role, make_user

pytestmark = pytest.mark.clock

ROUTE = reverse("carriage:route")


def collected(world) -> Dossier:
    dossier = handed_over(world)
    move(dossier, "accept", world.agency_receiver)
    move(dossier, "result_ready", world.agency_officer)
    return move(dossier, "collect_result", world.postman_a)


@pytest.fixture
def postman_b(world):
    person = make_user("postman_a2", "Phan Văn Đức")
    give_role(person, Role.POSTMAN, service_point=world.point_a)
    return person


def route_html(client, person) -> str:
    client.force_login(person)
    return client.get(ROUTE, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_postman_who_takes_it_out_carries_it_and_only_they_see_it(client, world, postman_b):
    dossier = collected(world)
    client.force_login(world.postman_a)
    client.post(reverse("carriage:delivery", args=[dossier.pk]), {"step": "out"})
    dossier.refresh_from_db()
    assert dossier.status == "out_for_delivery"
    assert dossier.delivery_postman == world.postman_a
    assert dossier.code in route_html(client, world.postman_a)
    assert dossier.code not in route_html(client, postman_b)
    # The office's list of results out says who carries each.
    listed = client.get(reverse("carriage:deliveries") + "?tab=out", HTTP_ACCEPT_LANGUAGE="en")
    assert "Carried by: Lê Văn Cường" in listed.content.decode()
    event = AuditEvent.objects.get(action="dossier.delivery_assigned")
    assert event.details == {"postman": world.postman_a.pk, "previous": None}
    assert event.actor_id == world.postman_a.pk


def test_a_supervisor_gives_it_out_and_moves_it_to_another_postman(
    client, world, postman_b, supervisor_a
):
    dossier = collected(world)
    url = reverse("carriage:delivery", args=[dossier.pk])
    client.force_login(supervisor_a)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Phan Văn Đức" in page and 'name="postman"' in page
    client.post(url, {"step": "out", "postman": postman_b.pk})
    dossier.refresh_from_db()
    assert dossier.delivery_postman == postman_b
    assert dossier.code in route_html(client, postman_b)
    assert dossier.code not in route_html(client, world.postman_a)

    client.force_login(supervisor_a)
    client.post(url, {"step": "assign", "postman": world.postman_a.pk})
    dossier.refresh_from_db()
    assert dossier.delivery_postman == world.postman_a
    assert dossier.code in route_html(client, world.postman_a)
    assert dossier.code not in route_html(client, postman_b)
    moved = AuditEvent.objects.filter(action="dossier.delivery_assigned").order_by("pk").last()
    assert moved.details == {"postman": world.postman_a.pk, "previous": postman_b.pk}
    assert moved.role == Role.SUPERVISOR


def test_a_postman_cannot_give_it_to_someone_else(client, world, postman_b):
    dossier = collected(world)
    with pytest.raises(TransitionError):
        returns.out_for_delivery(
            dossier.pk,
            postman=postman_b,
            user=world.postman_a,
            access=Access.for_user(world.postman_a),
        )
    # Through the page, the postman's choice is not even read: it goes out with them.
    client.force_login(world.postman_a)
    url = reverse("carriage:delivery", args=[dossier.pk])
    client.post(url, {"step": "out", "postman": postman_b.pk})
    dossier.refresh_from_db()
    assert dossier.delivery_postman == world.postman_a
    response = client.post(url, {"step": "assign", "postman": postman_b.pk})
    dossier.refresh_from_db()
    assert dossier.delivery_postman == world.postman_a
    assert response.status_code == 400


def test_only_a_postman_of_the_post_office_carries_it(client, world, supervisor_a, clerk_a):
    dossier = collected(world)
    url = reverse("carriage:delivery", args=[dossier.pk])
    client.force_login(supervisor_a)
    # The supervisor is no postman: without a choice the form asks for one.
    response = client.post(url, {"step": "out", "postman": clerk_a.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    dossier.refresh_from_db()
    assert dossier.status == "result_collected" and dossier.delivery_postman is None
    with pytest.raises(TransitionError):
        returns.out_for_delivery(
            dossier.pk, postman=clerk_a, user=supervisor_a, access=Access.for_user(supervisor_a)
        )


def test_a_clerk_is_told_a_postman_takes_it_out(client, world, clerk_a):
    dossier = collected(world)
    client.force_login(clerk_a)
    url = reverse("carriage:delivery", args=[dossier.pk])
    response = client.post(url, {"step": "out"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Choose the postman of this post office who takes it out." in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == "result_collected"
