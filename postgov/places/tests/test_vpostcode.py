"""The Vpostcode helper: round trips near the two towns of the new Quảng Trị, and junk."""

import math

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from postgov.lib import vpostcode
from postgov.lib.vpostcode import VpostcodeError

DONG_HA = (16.802, 107.071)  # centroid of Phường Đông Hà
DONG_HOI = (17.4522, 106.632)  # centroid of Phường Đồng Hới


def test_the_design_example_near_dong_ha():
    code = vpostcode.encode(16.8163, 107.1003, "48100", DONG_HA)
    assert code == "48100R482G4F"
    assert len(code) == 12
    assert vpostcode.full_code(code, DONG_HA) == "7P89R482+G4F"
    assert vpostcode.pretty(code) == "48100 R482+G4F"


@pytest.mark.parametrize(
    ("place", "reference", "postal_code"),
    [
        ((16.8163, 107.1003), DONG_HA, "48100"),
        ((16.7501, 107.1899), DONG_HA, "48101"),
        ((17.4689, 106.6223), DONG_HOI, "47100"),
        ((17.7548, 106.4236), DONG_HOI, "47300"),  # Ba Đồn, 0.3° north of the reference
    ],
)
def test_round_trip_lands_within_the_3_m_cell(place, reference, postal_code):
    code = vpostcode.encode(*place, postal_code, reference)
    assert code.startswith(postal_code)
    lat, lon = vpostcode.decode(code, reference)
    assert abs(lat - place[0]) < 0.00003 and abs(lon - place[1]) < 0.00004
    assert vpostcode.encode(lat, lon, postal_code, reference) == code


@given(
    dlat=st.floats(min_value=-0.44, max_value=0.44),
    dlon=st.floats(min_value=-0.44, max_value=0.44),
)
def test_round_trip_anywhere_near_the_reference(dlat, dlon):
    place = (DONG_HOI[0] + dlat, DONG_HOI[1] + dlon)
    code = vpostcode.encode(*place, "47000", DONG_HOI)
    lat, lon = vpostcode.decode(code, DONG_HOI)
    assert math.isclose(lat, place[0], abs_tol=0.00003)
    assert math.isclose(lon, place[1], abs_tol=0.00004)


@pytest.mark.parametrize("written", ["48100 R482+G4F", "48100-r482g4f", " 48100r482+g4f "])
def test_people_may_write_it_with_spaces_plus_and_lower_case(written):
    assert str(vpostcode.parse(written)) == "48100R482G4F"
    assert vpostcode.decode(written, DONG_HA) == vpostcode.decode("48100R482G4F", DONG_HA)


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "hello",
        "4810R482G4F",
        "48100R482G4",
        "48100R482G4FF",
        "48100A482G4F",
        "4810OR482G4F",
        "48100R4+82G4F",
        "48100R482++G4F",
        "４８１００R482G4F",
    ],
)
def test_junk_is_a_clear_value_error(junk):
    with pytest.raises(VpostcodeError, match="12") as info:
        vpostcode.decode(junk, DONG_HA)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("not_text", [None, 48100, b"48100R482G4F"])
def test_parse_refuses_non_text_clearly(not_text):
    with (
        translation.override("en"),
        pytest.raises(VpostcodeError, match="^A Vpostcode must be text"),
    ):
        vpostcode.parse(not_text)
    with translation.override("vi"), pytest.raises(VpostcodeError, match="^Vpostcode phải là"):
        vpostcode.parse(not_text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((16.8, 107.0, "4810", DONG_HA), "5"),
        ((16.8, 107.0, 48100, DONG_HA), "5"),
        ((95.0, 107.0, "48100", DONG_HA), "latitude"),
        ((float("nan"), 107.0, "48100", DONG_HA), "latitude"),
        ((16.8, "east", "48100", DONG_HA), "longitude"),
        ((16.8, 107.0, "48100", (16.8,)), "reference"),
        ((16.8, 107.0, "48100", None), "reference"),
        ((17.9, 107.0, "48100", DONG_HA), "too far"),
    ],
)
def test_encode_refuses_what_it_cannot_encode(args, message):
    with translation.override("en"), pytest.raises(VpostcodeError, match=message):
        vpostcode.encode(*args)
