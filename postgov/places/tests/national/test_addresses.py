"""An address typed or read from an ID card is kept as its street line and printed once,
in the units since 1 July 2025."""

from postgov.places.addresses import one_line, split_address, street_line
from postgov.places.models import Commune


def commune(name: str, province_code: str = "44") -> Commune:
    return Commune.objects.select_related("province").get(name=name, province__code=province_code)


def test_an_id_card_address_in_the_old_units_keeps_its_street_line(places):
    dong_ha = commune("Phường Đông Hà")
    street = split_address("Khu phố 3, Phường 1, Đông Hà, Quảng Trị", dong_ha)
    assert street == "Khu phố 3"
    assert one_line(street, dong_ha) == "Khu phố 3, Phường Đông Hà, Tỉnh Quảng Trị"


def test_a_typed_address_naming_its_new_commune_keeps_its_street_line(places):
    dong_hoi = commune("Phường Đồng Hới")
    street = split_address("Số 27 Hữu Nghị, Phường Đồng Hới", dong_hoi)
    assert street == "Số 27 Hữu Nghị"
    assert one_line(street, dong_hoi) == "Số 27 Hữu Nghị, Phường Đồng Hới, Tỉnh Quảng Trị"


def test_an_address_of_another_commune_is_left_as_typed(places):
    dong_hoi = commune("Phường Đồng Hới")
    typed = "Khu phố 3, Phường 1, thành phố Đông Hà, tỉnh Quảng Trị"
    assert split_address(typed, dong_hoi) == "Khu phố 3, Phường 1, thành phố Đông Hà"


def test_a_row_saved_whole_still_prints_each_unit_once(places):
    dong_hoi = commune("Phường Đồng Hới")
    assert (
        one_line("Số 27 Hữu Nghị, phường Đồng Hới, tỉnh Quảng Trị", dong_hoi)
        == "Số 27 Hữu Nghị, Phường Đồng Hới, Tỉnh Quảng Trị"
    )
    assert street_line("Số 27 Hữu Nghị, Đồng Hới, Quảng Trị", dong_hoi) == "Số 27 Hữu Nghị"
