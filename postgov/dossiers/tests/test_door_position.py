"""The postman confirms the delivery address's position at the door; the label and the
postman's list show the Vpostcode."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.dossiers.intake.printing import citizen_party
from postgov.dossiers.models import Dossier
from postgov.places.postal_codes import import_postal_codes
from tests.agency_helpers import handed_over, move

pytestmark = pytest.mark.clock

POSTAL_CODES = (
    "code,name,kind,province_code,commune_code,latitude,longitude\n"
    "48100,Phường Đông Hà,commune,44,19333,16.802,107.071\n"
)


@pytest.fixture
def out(world, client):
    import_postal_codes(io.StringIO(POSTAL_CODES), "test", "2025-07-01")
    dossier = handed_over(world)
    move(dossier, "accept", world.agency_receiver)
    move(dossier, "result_ready", world.agency_officer)
    move(dossier, "collect_result", world.postman_a)
    Dossier.objects.filter(pk=dossier.pk).update(
        return_method="deliver", return_address="Số 9 Lê Lợi", return_commune=world.commune_a
    )
    client.force_login(world.postman_a)
    client.post(reverse("carriage:delivery", args=[dossier.pk]), {"step": "out"})
    dossier.refresh_from_db()
    assert dossier.status == "out_for_delivery"
    return dossier


def test_the_postman_confirms_the_position_at_the_door(client, world, out):
    page = client.get(reverse("carriage:delivery", args=[out.pk])).content.decode()
    assert "data-door-position" in page
    url = reverse("carriage:delivery_position", args=[out.pk])
    response = client.post(url, {"latitude": "16.8105", "longitude": "107.0755"})
    assert response.status_code == 302
    out.refresh_from_db()
    assert (out.return_latitude, out.return_longitude) == (16.8105, 107.0755)
    assert out.return_position_source == "door" and out.return_vpostcode.startswith("48100")
    event = AuditEvent.objects.get(action="dossier.position_confirmed")
    assert event.actor_id == world.postman_a.pk
    # The trail says who confirmed it and how; where the citizen lives stays on the dossier.
    assert event.details == {"source": "door", "previous": event.details["previous"]}
    listing = client.get(reverse("carriage:deliveries") + "?tab=out").content.decode()
    assert out.return_vpostcode in listing
    assert citizen_party(out).vpostcode.replace(" ", "").replace("+", "") == out.return_vpostcode


@pytest.mark.parametrize(
    "lang,expected", [("vi", "phải trong phạm vi 30 km"), ("en", "must be within 30 km")]
)
def test_a_far_position_is_refused(client, out, lang, expected):
    url = reverse("carriage:delivery_position", args=[out.pk])
    response = client.post(
        url, {"latitude": "16.46", "longitude": "107.59"}, HTTP_ACCEPT_LANGUAGE=lang, follow=True
    )
    assert expected in response.content.decode()
    out.refresh_from_db()
    assert out.return_position_source != "door"
    assert not AuditEvent.objects.filter(action="dossier.position_confirmed").exists()


def test_a_clerk_of_another_point_cannot_set_it(client, world, out, clerk_b):
    client.force_login(clerk_b)
    url = reverse("carriage:delivery_position", args=[out.pk])
    response = client.post(url, {"latitude": "16.8105", "longitude": "107.0755"})
    assert response.status_code in (403, 404)
    out.refresh_from_db()
    assert out.return_position_source != "door"
