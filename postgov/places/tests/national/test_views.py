"""The public places pages with the national data and the demo network."""

import re

import pytest
from django.urls import reverse

from postgov.places.demo import load_demo

CONVERT = "/places/convert/"


@pytest.fixture
def demo(places):
    load_demo()


@pytest.fixture(autouse=True)
def _english(client):
    # Django's own messages ("This field is required.") come translated; read them in
    # English so the assertions do not depend on the Vietnamese catalogue.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# -- converter ---------------------------------------------------------------------------


def test_the_converter_shows_the_new_units_beside_what_was_typed(client, places):
    typed = "12 Lê Lợi, Phường 1, thành phố Đông Hà, tỉnh Quảng Trị"
    page = text(client.post(CONVERT, {"address": typed}))
    assert f'value="{typed}"' in page  # the form keeps what was typed
    assert "12 Lê Lợi, Phường Đông Hà, Tỉnh Quảng Trị" in page
    assert "Thành phố Đông Hà" in page  # the old district, recognised
    assert f"{reverse('places:service_points')}?commune=19333" in page


def test_the_converter_without_diacritics(client, places):
    page = text(client.post(CONVERT, {"address": "phuong 1, tp dong ha, quang tri"}))
    assert "Phường Đông Hà" in page


def test_the_converter_lists_the_alternatives_of_a_split_commune(client, places):
    page = text(client.post(CONVERT, {"address": "Xã Tân Thạnh, huyện Thới Lai, Cần Thơ"}))
    assert "Xã Trường Thành" in page and "Xã Tân Thạnh" in page
    assert "alert-warning" in page


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("", "This field is required."),
        ("asdf", "No province was recognised"),
        ("x" * 301, "at most 300 characters"),
        ("\x00 Quảng Trị", "Null characters are not allowed."),
        ("🏣 \u200b", "No province was recognised"),
    ],
)
def test_the_converter_explains_what_it_cannot_convert(client, places, address, expected):
    page = text(client.post(CONVERT, {"address": address}))
    assert expected in page


def test_the_converter_answers_htmx_with_the_fragment_only(client, places):
    response = client.post(
        CONVERT, {"address": "Phường 1, Đông Hà, Quảng Trị"}, headers={"HX-Request": "true"}
    )
    page = text(response)
    assert page.lstrip().startswith('<div id="converter"')
    assert "<html" not in page and "Phường Đông Hà" in page


def test_the_converter_never_puts_the_address_in_the_url(client, places):
    page = text(client.get(CONVERT))
    assert re.search(r'<form method="post" action="/places/convert/"', page)


# -- service points ------------------------------------------------------------------------


def test_the_points_list_is_paginated_and_searchable(client, demo):
    page = text(client.get("/places/points/"))
    assert "QT-001" in page and "Bưu điện tỉnh Quảng Trị" in page
    assert "20 service points" in page
    page = text(client.get("/places/points/?q=dong ha"))  # without diacritics
    assert "Bưu điện Đông Hà" in page and "Bưu điện Ba Đồn" not in page
    page = text(client.get("/places/points/?q=48100"))
    assert "Bưu điện Đông Hà" in page and "1 service point" in page


def test_the_points_list_filters_by_kind_and_commune(client, demo):
    page = text(client.get("/places/points/?kind=vhx"))
    assert "Cồn Cỏ" in page and "Bưu điện Đông Hà" not in page
    page = text(client.get("/places/points/?commune=18880"))
    assert "Post offices in Phường Đồng Hới" in page and "QT-001" in page and "QT-002" not in page


def test_a_commune_without_points_says_so(client, demo):
    page = text(client.get("/places/points/?commune=19351"))  # Phường Nam Đông Hà
    assert "No service point in Phường Nam Đông Hà yet." in page


def test_bad_filters_show_an_error_and_no_500(client, demo):
    page = text(client.get("/places/points/?kind=zzz&commune=<b>&page=abc&q=" + "x" * 200))
    assert "Select a valid choice" in page
    assert "<b>" not in page


def test_pagination_keeps_the_filters(client, demo):
    page = text(client.get("/places/communes/?province=44"))
    assert "78 communes" in page
    assert "?province=44&amp;page=2" in page


def test_the_point_page_has_hours_postal_code_vpostcode_and_a_map_link(client, demo):
    page = text(client.get("/places/points/QT-002/"))
    assert "Bưu điện Đông Hà" in page and "Phường Đông Hà" in page
    assert "Thứ Hai–Thứ Bảy 07:00–19:00" in page
    assert "48100" in page
    vpostcode = re.search(r'data-testid="vpostcode">(\w{12})<', page).group(1)
    assert vpostcode.startswith("48100")
    assert "https://www.openstreetmap.org/?mlat=16.819480&amp;mlon=107.102850" in page
    assert "<iframe" not in page
    # The map is this site's own (Leaflet, served here); with no base map set, no tiles.
    assert 'data-testid="map"' in page and 'data-tiles=""' in page


# -- communes ------------------------------------------------------------------------------


def test_communes_of_a_province_with_search(client, demo):
    page = text(client.get("/places/communes/?province=44&q=dong"))
    assert "Communes of Tỉnh Quảng Trị" in page
    assert "Tỉnh Quảng Bình" in page  # formed from
    assert "Phường Đông Hà" in page and "Phường Đồng Hới" in page
    assert "Xã Khe Sanh" not in page
    assert "?commune=18880" in page  # link to its points


# -- postal codes and Vpostcode ------------------------------------------------------------


def test_postal_code_lookup(client, demo):
    page = text(client.get("/places/postal-codes/?q=48100"))
    assert 'data-testid="postal-code"' in page and "Phường Đông Hà" in page
    page = text(client.get("/places/postal-codes/?q=99999"))
    assert "No postal code 99999 in the current set." in page
    page = text(client.get("/places/postal-codes/?q=khe sanh"))
    assert "48400" in page
    page = text(client.get("/places/postal-codes/"))
    assert "demo data" in page and "47000" in page


def test_vpostcode_lookup(client, demo):
    page = text(client.get("/places/postal-codes/?vpostcode=48100 R482%2BG4F"))
    assert "7P89R482+G4F" in page and "16.816313" in page
    assert "https://www.openstreetmap.org/?mlat=16.81631" in page
    page = text(client.get("/places/postal-codes/?vpostcode=12345R482G4F"))
    assert "Postal code 12345 is not in the current set." in page
    page = text(client.get("/places/postal-codes/?vpostcode=junk!"))
    assert "Only digits, letters and +." in page
    page = text(client.get("/places/postal-codes/?vpostcode=4810R482G4F"))
    assert "A Vpostcode has 12 characters" in page
