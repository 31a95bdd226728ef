"""Every places page is public reference data: anonymous visitors and staff alike see it;
pages that only show data answer 405 to a POST. Runs on the small `world` of conftest.py
(no national data set)."""

import pytest

PAGES = [
    "/places/points/",
    "/places/points/TEST-A/",
    "/places/communes/",
    "/places/postal-codes/",
    "/places/convert/",
]
GET_ONLY = [url for url in PAGES if url != "/places/convert/"]


@pytest.mark.parametrize("url", PAGES)
def test_it_checks_access_anonymous_visitors_see_it(client, world, url):
    response = client.get(url)
    assert response.status_code == 200
    assert b"<main" in response.content


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("who", ["clerk_a", "outsider", "citizen"])
def test_it_checks_access_signed_in_users_see_it(client, world, url, who):
    client.force_login(getattr(world, who))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", GET_ONLY)
def test_a_post_to_a_page_that_only_shows_data_is_405(client, world, url):
    assert client.post(url, {"q": "x"}).status_code == 405


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_the_converter_takes_only_get_and_post(client, world, method):
    assert getattr(client, method)("/places/convert/").status_code == 405


def test_an_unknown_point_is_404(client, world):
    assert client.get("/places/points/NOPE/").status_code == 404


def test_the_menu_links_to_the_places_pages(client, world):
    home = client.get("/").content.decode()
    assert 'href="/places/points/"' in home and 'href="/places/convert/"' in home


def test_postal_codes_page_says_when_none_were_imported(client, world):
    page = client.get("/places/postal-codes/?q=48100").content.decode()
    assert "Chưa nhập mã bưu chính nào." in page


def test_the_point_page_shows_what_is_known_without_postal_data(client, world):
    page = client.get("/places/points/TEST-A/").content.decode()
    assert "Bưu điện Đông Hà" in page and "48100" in page
    assert "chưa có" in page  # no current postal-code set: no Vpostcode
    assert "Chưa có tọa độ." in page
