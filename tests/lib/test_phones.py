import pytest

from postgov.lib.phones import PhoneError, last_digits, normalise_mobile, to_e164


@pytest.mark.parametrize(
    "typed", ["0912345678", "+84 912 345 678", "0912.345.678", "84912345678", " 091 234 5678 "]
)
def test_mobile_numbers_are_normalised(typed):
    assert normalise_mobile(typed) == "0912345678"


@pytest.mark.parametrize("typed", ["", "12345", "abc", "0912", "091234567890123", "x" * 40])
def test_bad_numbers_are_refused_with_a_message(typed):
    with pytest.raises(PhoneError, match=" / "):
        normalise_mobile(typed)


def test_a_landline_is_not_a_mobile():
    with pytest.raises(PhoneError, match="landline"):
        normalise_mobile("02333 852 123")  # Quảng Trị fixed line


def test_e164_and_last_digits():
    assert to_e164("0912345678") == "+84912345678"
    assert to_e164("") == ""
    assert last_digits("0912345678") == "5678"
