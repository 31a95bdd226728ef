"""Find a post office, without JavaScript: from a commune, an old address, a Vpostcode or
a position; and what a person is told when the place cannot be found."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from postgov.agencies.models import Agency, Competence
from postgov.catalog.models import Procedure
from postgov.places import postal_codes
from postgov.places.demo import load_demo
from postgov.places.models import Province, ServicePoint
from tests.factories import make_procedure

FIND = "/places/find/"
# A Friday, 10:00 in Việt Nam: level-1 and level-2 post offices are open.
FRIDAY_MORNING = datetime(2026, 12, 4, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def demo(places):
    load_demo()


def find(client, language="en", **data) -> str:
    response = client.post(FIND, data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def results(page: str) -> list[str]:
    return re.findall(r'<h2 class="h5 mb-1"><a href="/places/points/([^/]+)/">', page)


def test_the_page_works_without_a_search(client, demo):
    page = client.get(FIND, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Tìm bưu cục" in page and 'name="place"' in page and 'name="vpostcode"' in page


@pytest.mark.clock
@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_from_a_new_commune_without_diacritics(client, demo):
    page = find(client, place="phuong dong ha")
    assert "Nearest to: <strong>Phường Đông Hà, Tỉnh Quảng Trị</strong>" in page
    codes = results(page)
    assert codes[0] == "QT-002" and len(codes) == 5
    assert "open now" in page
    assert "geo:16.819480,107.102850?z=17" in page
    assert "https://www.openstreetmap.org/?mlat=16.819480" in page
    vpostcode = postal_codes.vpostcode_of_point(ServicePoint.objects.get(code="QT-002"))
    assert vpostcode and vpostcode in page
    assert 'data-testid="map"' in page and '"kind": "point"' in page
    assert 'value="phuong dong ha"' in page  # what was typed stays in the form


def test_from_an_old_address(client, demo):
    page = find(client, place="Phường 1, thành phố Đông Hà, tỉnh Quảng Trị")
    assert "Old address, now in Phường Đông Hà, Tỉnh Quảng Trị" in page
    assert results(page)[0] == "QT-002"


def test_from_a_vpostcode(client, demo):
    point = ServicePoint.objects.get(code="QT-003")
    page = find(client, vpostcode=postal_codes.vpostcode_of_point(point))
    assert results(page)[0] == "QT-003"
    assert re.search(r"0\.0 km", page)


def test_from_a_position(client, demo):
    page = find(client, latitude="16.8195", longitude="107.1028")
    assert "Nearest to your position" in page
    assert results(page)[0] == "QT-002"


def test_the_procedures_a_point_receives_are_listed(client, demo):
    province = Province.objects.get(code="44")
    version = make_procedure(postal_allowed=True)
    make_procedure("2.000001", "Thủ tục không qua bưu chính", postal_allowed=False)
    agency = Agency.objects.create(
        unit_code="000.00.44.H56",
        name="Trung tâm Phục vụ hành chính công tỉnh Quảng Trị",
        level="province",
        desk_kind=Agency.DeskKind.SERVICE_CENTRE,
        province=province,
    )
    Competence.objects.create(agency=agency, procedure=version.procedure, province=province)
    Competence.objects.create(
        agency=agency, procedure=Procedure.objects.get(code="2.000001"), province=province
    )
    page = find(client, place="dong ha, quang tri")
    assert "Receives 1 procedure" in page
    assert f'href="/catalog/{version.procedure.code}/">Đăng ký khai sinh</a>' in page
    assert "Thủ tục không qua bưu chính" not in page


@pytest.mark.parametrize(
    ("language", "data", "message"),
    [
        (
            "en",
            {"place": "xyzzy plugh"},
            "This commune or address could not be found. Check the spelling",
        ),
        ("vi", {"place": "xyzzy plugh"}, "Không tìm thấy xã/phường hoặc địa chỉ này."),
        ("en", {"vpostcode": "99999R482G4F"}, "postal area this site does not know (99999)"),
        ("vi", {"vpostcode": "99999R482G4F"}, "vùng bưu chính mà trang này không có (99999)"),
        ("en", {"vpostcode": "4810R482G4F"}, "A Vpostcode has 12 characters"),
        ("en", {"latitude": "48.85", "longitude": "2.35"}, "This position is outside Vietnam"),
        ("vi", {"latitude": "48.85", "longitude": "2.35"}, "Vị trí này nằm ngoài Việt Nam"),
        ("en", {}, "Type a commune, an address or a Vpostcode, or use your location."),
        ("vi", {}, "Hãy nhập xã/phường, địa chỉ hoặc Vpostcode, hoặc dùng vị trí của bạn."),
    ],
)
def test_bad_input_is_told_in_the_page_language_and_kept(client, demo, language, data, message):
    page = find(client, language, **data)
    assert message in page
    assert results(page) == []
    for value in data.values():
        if "place" in data or "vpostcode" in data:
            assert f'value="{value}"' in page
