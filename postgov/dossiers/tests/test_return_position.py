"""The delivery address's position at the counter: pinned, the commune's centre, proposed
again for the same citizen, refused when far from the commune."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import translation

from postgov.dossiers.models import Dossier
from postgov.lib import vpostcode
from postgov.places.postal_codes import import_postal_codes

from .intake_helpers import draft
from .test_views_intake import fees_post

POSTAL_CODES = (
    "code,name,kind,province_code,commune_code,latitude,longitude\n"
    "48100,Phường Đông Hà,commune,44,19333,16.802,107.071\n"
)
# A house in Đông Hà, 1 km from the ward's centre; Huế is 60 km away.
HOUSE = (16.8105, 107.0755)
HUE = (16.4637, 107.5909)


@pytest.fixture
def codes(db):
    return import_postal_codes(io.StringIO(POSTAL_CODES), "test", "2025-07-01")


@pytest.fixture
def as_clerk(client, clerk_a):
    client.force_login(clerk_a)
    return client


def post_fees(client, dossier, lat="", lon="", lang="vi", **extra):
    url = reverse("dossiers:intake_fees", args=[dossier.pk])
    data = fees_post(dossier, return_latitude=lat, return_longitude=lon, **extra)
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE=lang)


def test_a_pin_is_saved_with_its_vpostcode(as_clerk, world, version, codes):
    dossier = draft(world, version)
    response = post_fees(as_clerk, dossier, *map(str, HOUSE))
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert (dossier.return_latitude, dossier.return_longitude) == HOUSE
    assert dossier.return_position_source == "pin"
    assert dossier.return_vpostcode == vpostcode.encode(*HOUSE, "48100", (16.802, 107.071))
    assert dossier.return_vpostcode.startswith("48100")


def test_without_a_pin_the_commune_centre_is_used_and_marked_approximate(
    as_clerk, world, version, codes
):
    dossier = draft(world, version)
    assert post_fees(as_clerk, dossier).status_code == 302
    dossier.refresh_from_db()
    assert (dossier.return_latitude, dossier.return_longitude) == (16.802, 107.071)
    assert dossier.return_position_source == "commune"
    assert dossier.return_vpostcode.startswith("48100")


@pytest.mark.parametrize(
    "lang,expected",
    [
        ("vi", "Vị trí cách trung tâm Phường Đông Hà 67 km"),
        ("en", "The position is 67 km from the centre of Phường Đông Hà"),
    ],
)
def test_a_position_far_from_the_commune_is_refused_and_kept(
    as_clerk, world, version, codes, lang, expected
):
    dossier = draft(world, version)
    response = post_fees(as_clerk, dossier, *map(str, HUE), lang=lang, return_address="Số 9")
    html = response.content.decode()
    assert response.status_code == 200
    assert expected in html
    assert f'value="{HUE[0]}"' in html and 'value="Số 9"' in html
    dossier.refresh_from_db()
    assert dossier.return_latitude is None


def test_nonsense_coordinates_are_refused(as_clerk, world, version, codes):
    dossier = draft(world, version)
    response = post_fees(as_clerk, dossier, "95", "107", lang="en")
    assert response.status_code == 200
    assert "not a valid latitude and longitude" in response.content.decode()


def test_the_same_citizen_gets_the_last_confirmed_position_proposed(
    as_clerk, world, version, codes
):
    first = draft(world, version)
    post_fees(as_clerk, first, *map(str, HOUSE), return_address="Số 9 Lê Lợi")
    # Same ID number, same address written with other spaces and case.
    again = draft(world, version, phone="0987654321", address="số 9  Lê Lợi")
    Dossier.objects.filter(pk=again.pk).update(return_address="số 9  Lê Lợi")
    with translation.override("en"):
        page = as_clerk.get(
            reverse("dossiers:intake_fees", args=[again.pk]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    assert 'data-testid="position-proposed"' in page
    assert f'value="{HOUSE[0]}"' in page and f'value="{HOUSE[1]}"' in page
    # Someone else at the same address text gets nothing proposed.
    other = draft(world, version, id_number="045090009999", phone="0911111111")
    Dossier.objects.filter(pk=other.pk).update(return_address="Số 9 Lê Lợi")
    page = as_clerk.get(reverse("dossiers:intake_fees", args=[other.pk])).content.decode()
    assert 'data-testid="position-proposed"' not in page and f'value="{HOUSE[0]}"' not in page
