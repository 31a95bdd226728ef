import pytest

from postgov.lib.s10 import S10Error, check_digit, is_valid, make_item_id


@pytest.mark.parametrize("serial, digit", [("47312482", 9), ("28704377", 5), ("00000008", 0)])
def test_check_digits_of_design_examples(serial, digit):
    assert check_digit(serial) == digit


def test_item_ids_round_trip():
    item = make_item_id("EH", 47312482)
    assert item == "EH473124829VN"
    assert is_valid(item) and is_valid("eh 473 124 829 vn")
    assert not is_valid("EH473124828VN")
    assert not is_valid("junk")


@pytest.mark.parametrize("indicator, number", [("E1", 1), ("EH", 0), ("EH", 100_000_000)])
def test_bad_input_is_refused(indicator, number):
    with pytest.raises(S10Error):
        make_item_id(indicator, number)
