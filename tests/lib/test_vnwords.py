import pytest

from postgov.lib.vnwords import number_in_words, vnd_in_words


@pytest.mark.parametrize(
    "n,words",
    [
        (0, "không"),
        (5, "năm"),
        (10, "mười"),
        (15, "mười lăm"),
        (21, "hai mươi mốt"),
        (25, "hai mươi lăm"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (8_000, "tám nghìn"),
        (26_000, "hai mươi sáu nghìn"),
        (68_000, "sáu mươi tám nghìn"),
        (31_500, "ba mươi mốt nghìn năm trăm"),
        (1_008_000, "một triệu không trăm linh tám nghìn"),
        (2_000_000_000, "hai tỷ"),
        (1_500_000, "một triệu năm trăm nghìn"),
    ],
)
def test_numbers(n, words):
    assert number_in_words(n) == words


def test_amounts_start_with_a_capital_and_end_in_dong():
    assert vnd_in_words(68_000) == "Sáu mươi tám nghìn đồng"
