"""Open redirects: a `next` parameter naming another site is never followed.

A link to our own address that lands the person on an attacker's page (after they saw
our login or our pickup list) lends our name to phishing. Every view that sends the
browser on to a `next` it was given checks it stays on this site.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from postgov.delivery import actions as delivery
from postgov.delivery import scheduling
from postgov.identity.tests.oidc_helpers import log_in_session
from postgov.lib.redirects import safe_next
from tests.factories import make_intake_catalog
from tests.personas import PASSWORD

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

ELSEWHERE = [
    "https://evil.example/phish",
    "//evil.example/phish",
    "http://evil.example",
    "/\\evil.example/phish",
    "https:evil.example",
    "javascript:alert(1)",
    " https://evil.example",
]


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def booking(world):
    version = make_intake_catalog(world)
    day = scheduling.first_collection_day(world.province.pk)
    return delivery.book_pickup(
        procedure=version.procedure,
        name="Hoàng Thị Mai",
        phone="0987654321",
        address="Số 12 Lê Duẩn",
        commune=world.commune_a,
        day=day,
        window="morning",
    )


@pytest.mark.parametrize("target", ELSEWHERE)
def test_assigning_a_pickup_does_not_follow_a_next_to_another_site(
    client, world, booking, supervisor_a, postman_a, target
):
    client.force_login(supervisor_a)
    response = client.post(
        reverse("delivery:pickup_assign", args=[booking.pk]),
        {"postman": postman_a.pk, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("delivery:pickups")
    booking.refresh_from_db()
    assert booking.postman_id == postman_a.pk  # the assignment itself went through


def test_assigning_a_pickup_goes_back_to_the_page_it_came_from(
    client, world, booking, supervisor_a, postman_a
):
    client.force_login(supervisor_a)
    back = reverse("delivery:pickup", args=[booking.pk])
    response = client.post(
        reverse("delivery:pickup_assign", args=[booking.pk]),
        {"postman": postman_a.pk, "next": back},
    )
    assert response["Location"] == back
    listed = reverse("delivery:pickups") + "?page=2"
    response = client.post(
        reverse("delivery:pickup_assign", args=[booking.pk]),
        {"postman": postman_a.pk, "next": listed},
    )
    assert response["Location"] == listed


def test_an_outsider_cannot_use_pickup_assign_to_redirect(client, booking, outsider):
    client.force_login(outsider)
    response = client.post(
        reverse("delivery:pickup_assign", args=[booking.pk]),
        {"next": "https://evil.example/"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("target", ELSEWHERE)
def test_login_does_not_follow_a_next_to_another_site(client, citizen, target):
    response = client.post(
        reverse("identity:login"),
        {"username": citizen.username, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert not response["Location"].startswith("javascript:")


@pytest.mark.parametrize("target", ELSEWHERE)
def test_password_change_does_not_follow_a_next_to_another_site(client, citizen, target):
    log_in_session(client, citizen)
    response = client.post(
        reverse("identity:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "mây trắng bay qua đồi xa",
            "new_password2": "mây trắng bay qua đồi xa",
            "next": target,
        },
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.parametrize("target", ELSEWHERE[:3])
def test_registration_does_not_keep_a_next_to_another_site(client, world, target):
    page = client.get(reverse("identity:register"), {"next": target}).content.decode()
    home = reverse("home")
    assert f'<input type="hidden" name="next" value="{home}">' in page
    client.post(
        reverse("identity:register"),
        {
            "username": "tran.an",
            "full_name": "Trần Văn An",
            "gender": "male",
            "birth_date": "17/05/1990",
            "declared_id_number": "045090123456",
            "phone": "0987654321",
            "permanent_address": "1 Lê Lợi",
            "permanent_commune": world.commune_a.pk,
            "current_address": "1 Lê Lợi",
            "current_commune": world.commune_a.pk,
            "password1": "mây trắng bay qua đồi",
            "password2": "mây trắng bay qua đồi",
            "next": target,
        },
    )
    assert client.session["postgov_registering"]["next"] == home


@pytest.mark.parametrize("target", ELSEWHERE)
def test_changing_the_language_does_not_follow_a_next_to_another_site(client, db, target):
    response = client.post(reverse("set_language"), {"language": "en", "next": target})
    assert "evil.example" not in response.get("Location", "")


def test_safe_next_keeps_paths_and_this_host_only(rf):
    assert safe_next(rf.post("/", {"next": "/track/?code=1"}), "/") == "/track/?code=1"
    assert safe_next(rf.post("/", {"next": "http://testserver/a/"}), "/") == "http://testserver/a/"
    for target in ELSEWHERE:
        assert safe_next(rf.post("/", {"next": target}), "/home/") == "/home/"
    assert safe_next(rf.get("/", {"next": "https://evil.example"}), "/x/") == "/x/"
    # over HTTPS, a plain-HTTP address of this host would drop the protection
    secure = rf.post("/", {"next": "http://testserver/a/"}, secure=True)
    assert safe_next(secure, "/") == "/"
