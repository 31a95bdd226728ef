"""Communes are picked by typing, not from a list of every commune: the pages stay small,
the suggestions come from a small public search (limited per client), and a typed name
is resolved on the server when the browser runs no script."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from postgov.identity.models import User
from postgov.places.models import Commune, Province

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def many_communes(world):
    """A province of 300 communes: a page listing them all would have 300 options."""
    province = Province.objects.create(code="46", name="Thành phố Huế", short_name="Huế")
    Commune.objects.bulk_create(
        Commune(
            code=f"2{n:04d}",
            province=province,
            name=f"Xã Thử Nghiệm {n}",
            short_name=f"Thử Nghiệm {n}",
            kind=Commune.Kind.COMMUNE,
            name_folded=f"xa thu nghiem {n}",
        )
        for n in range(300)
    )
    # The same name as the world's ward, in another province: typing it alone is ambiguous.
    Commune.objects.create(
        code="29999", province=province, name="Phường Đông Hà", short_name="Đông Hà", kind="phuong"
    )
    return province


def options(response) -> int:
    return response.content.decode().count("<option")


def test_the_search_suggests_at_most_twenty_communes_without_diacritics(client, many_communes):
    results = client.get("/places/communes/search/", {"q": "thu nghiem"}).json()["results"]
    assert len(results) == 20
    assert all(r["label"].startswith("Xã Thử Nghiệm") for r in results)
    found = client.get("/places/communes/search/", {"q": "dong hoi"}).json()["results"]
    assert [r["label"] for r in found] == ["Phường Đồng Hới, Tỉnh Quảng Trị"]
    # The province's name narrows the search.
    found = client.get("/places/communes/search/", {"q": "đông hà quảng trị"}).json()
    assert [r["label"] for r in found["results"]] == ["Phường Đông Hà, Tỉnh Quảng Trị"]
    assert client.get("/places/communes/search/", {"q": ""}).json()["results"] == []
    assert client.get("/places/communes/search/", {"q": "a\x00b"}).json()["results"] == []


def test_the_commune_of_exactly_that_name_comes_first_and_is_the_one_resolved(
    client, world, many_communes
):
    Commune.objects.create(
        code="19334",
        province=world.province,
        name="Phường Nam Đông Hà",
        short_name="Nam Đông Hà",
        kind="phuong",
    )
    results = client.get("/places/communes/search/", {"q": "dong ha"}).json()["results"]
    assert [r["label"] for r in results] == [
        "Phường Đông Hà, Thành phố Huế",
        "Phường Đông Hà, Tỉnh Quảng Trị",
        "Phường Nam Đông Hà, Tỉnh Quảng Trị",
    ]
    client.force_login(world.citizen)
    response = client.post(
        "/accounts/me/profile/",
        {"full_name": "Ngô Văn Nam", "current_commune": "Đông Hà, Quảng Trị"},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=world.citizen.pk).current_commune == world.commune_a


@pytest.mark.clock  # the limit counts per minute: a minute turning mid-test resets it
def test_the_search_is_limited_per_client(client, world, settings):
    settings.COMMUNE_SEARCH_PER_MINUTE = 3
    for _ in range(3):
        assert client.get("/places/communes/search/", {"q": "dong"}).status_code == 200
    refused = client.get("/places/communes/search/", {"q": "dong"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1


def test_the_profile_page_lists_no_communes_and_saves_a_typed_one(client, world, many_communes):
    citizen = world.citizen
    client.force_login(citizen)
    page = client.get("/accounts/me/profile/")
    assert page.status_code == 200 and options(page) <= 30
    assert 'data-commune-search="/places/communes/search/"' in page.content.decode()
    response = client.post(
        "/accounts/me/profile/",
        {
            "full_name": citizen.full_name,
            "permanent_address": "5 Lê Duẩn",
            "permanent_commune": "phuong dong hoi",
            "current_address": "5 Lê Duẩn",
            "current_commune": "Phường Đông Hà, Tỉnh Quảng Trị",
        },
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.permanent_commune == world.commune_b
    assert citizen.current_commune == world.commune_a
    # The page shows the commune saved, by its name.
    again = client.get("/accounts/me/profile/").content.decode()
    assert 'value="Phường Đông Hà, Tỉnh Quảng Trị"' in again


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Phường Không Có", "Không có xã, phường nào tên “Phường Không Có”"),
        ("Đông Hà", "Có nhiều xã, phường tên “Đông Hà”"),
    ],
)
def test_a_name_that_matches_none_or_several_is_explained_and_kept(
    client, world, many_communes, typed, message
):
    client.force_login(world.citizen)
    response = client.post(
        "/accounts/me/profile/",
        {"full_name": "Ngô Văn Nam", "current_commune": typed},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    html = response.content.decode()
    assert response.status_code == 200 and message in html
    assert f'value="{typed}"' in html  # what was typed stays in the field
    assert User.objects.get(pk=world.citizen.pk).current_commune is None


def test_the_english_page_says_it_in_english(client, world, many_communes):
    client.force_login(world.citizen)
    response = client.post(
        "/accounts/me/profile/",
        {"full_name": "Ngô Văn Nam", "current_commune": "Đông Hà"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert "Several communes are called “Đông Hà”" in html
    assert "Có nhiều xã" not in html


def test_the_registration_page_lists_no_communes(client, world, many_communes):
    page = client.get("/accounts/register/")
    assert page.status_code == 200 and options(page) <= 30
