"""Old address → new units, offline."""

import logging
import socket

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postgov.places import conversion
from postgov.places.conversion import convert_old_address


def test_phuong_1_dong_ha_became_phuong_dong_ha(places):
    result = convert_old_address("Phường 1, thành phố Đông Hà, tỉnh Quảng Trị")
    assert result.found and not result.message
    assert result.commune.name == "Phường Đông Hà"
    assert (result.province.code, result.province.name) == ("44", "Tỉnh Quảng Trị")
    assert result.old_commune.name == "Phường 1"
    assert result.old_district.name == "Thành phố Đông Hà"
    assert result.old_province.name == "Tỉnh Quảng Trị"
    assert result.alternatives == [] and not result.is_split
    assert result.street == ""
    assert result.new_address == "Phường Đông Hà, Tỉnh Quảng Trị"


def test_the_street_is_kept_as_typed(places):
    result = convert_old_address("12 Lê Lợi, Phường 1, thành phố Đông Hà, tỉnh Quảng Trị")
    assert result.street == "12 Lê Lợi"
    assert result.new_address == "12 Lê Lợi, Phường Đông Hà, Tỉnh Quảng Trị"
    assert result.old_address == "12 Lê Lợi, Phường 1, Thành phố Đông Hà, Tỉnh Quảng Trị"


def test_an_address_without_diacritics(places):
    result = convert_old_address("so 5 duong Hung Vuong, phuong 1, tp dong ha, quang tri")
    assert result.commune.name == "Phường Đông Hà"
    assert result.street == "so 5 duong Hung Vuong"


def test_old_quang_binh_is_in_the_new_quang_tri(places):
    result = convert_old_address("Phường Hải Thành, thành phố Đồng Hới, tỉnh Quảng Bình")
    assert result.old_province.name == "Tỉnh Quảng Bình"
    assert (result.commune.name, result.province.code) == ("Phường Đồng Hới", "44")


def test_a_split_commune_gives_the_default_and_the_alternatives(places):
    result = convert_old_address("Xã Tân Thạnh, huyện Thới Lai, thành phố Cần Thơ")
    assert result.is_split
    assert result.commune.name == "Xã Trường Thành"
    assert [c.name for c in result.alternatives] == ["Xã Tân Thạnh"]
    assert result.province.name == "Thành phố Cần Thơ"


def test_a_ward_less_island_district(places):
    result = convert_old_address("huyện Cồn Cỏ, tỉnh Quảng Trị")
    assert result.commune.name == "Đặc khu Cồn Cỏ"


def test_a_district_without_commune_lists_the_candidates(places):
    result = convert_old_address("thành phố Đông Hà, tỉnh Quảng Trị")
    assert result.commune is None
    assert result.message == conversion.DISTRICT_ONLY
    names = [c.name for c in result.alternatives]
    assert "Phường Đông Hà" in names and "Phường Nam Đông Hà" in names
    assert result.province.code == "44"


def test_a_province_alone(places):
    result = convert_old_address("Hà Nội")
    assert result.commune is None and result.province.name == "Thành phố Hà Nội"
    assert result.message == conversion.PROVINCE_ONLY


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "EMPTY"),
        ("   \n ", "EMPTY"),
        (None, "EMPTY"),
        ("asdf qwer", "NOTHING_RECOGNISED"),
        (",,,,", "NOTHING_RECOGNISED"),
        ("💥" * 20, "NOTHING_RECOGNISED"),
        ("\x00<script>alert(1)</script>", "NOTHING_RECOGNISED"),
        ("1" * 301, "TOO_LONG"),
    ],
)
def test_junk_gets_a_clear_message(places, text, message):
    with translation.override("vi"):
        result = convert_old_address(text)
        assert result.message == str(getattr(conversion, message)) % {"limit": 300}
    assert " / " not in result.message  # the page's language only
    assert not result.found and result.new_address == ""


def test_a_parser_failure_is_a_message_and_the_address_stays_out_of_logs(
    places, monkeypatch, caplog
):
    def broken(text):
        raise RuntimeError(text)

    monkeypatch.setattr(conversion, "_parse", broken)
    with caplog.at_level(logging.DEBUG):
        result = convert_old_address("7 Nguyễn Du, Phường 1, Đông Hà, Quảng Trị")
    assert result.message == conversion.UNREADABLE
    assert "Nguyễn Du" not in caplog.text
    assert "RuntimeError" in caplog.text


def test_it_never_touches_the_network(places, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network call during conversion")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    result = convert_old_address("45 Hùng Vương, Phường 1, thành phố Đông Hà, tỉnh Quảng Trị")
    assert result.commune.name == "Phường Đông Hà"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=120))
def test_no_input_makes_it_raise(places, text):
    result = convert_old_address(text)
    assert result.found or result.message


def test_the_message_is_in_the_active_language_only(places):
    with translation.override("vi"):
        vietnamese = convert_old_address("asdf qwer").message
    with translation.override("en"):
        english = convert_old_address("asdf qwer").message
    assert (
        vietnamese.startswith("Không nhận ra tỉnh/thành phố nào")
        and "No province" not in vietnamese
    )
    assert english.startswith("No province was recognised") and "Không" not in english
