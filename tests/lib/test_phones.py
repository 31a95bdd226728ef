import pytest
from django.utils import translation

from postgov.lib.phones import PhoneError, last_digits, normalise_mobile, to_e164


@pytest.mark.parametrize(
    "typed", ["0912345678", "+84 912 345 678", "0912.345.678", "84912345678", " 091 234 5678 "]
)
def test_mobile_numbers_are_normalised(typed):
    assert normalise_mobile(typed) == "0912345678"


@pytest.mark.parametrize("typed", ["", "12345", "abc", "0912", "091234567890123", "x" * 40])
def test_bad_numbers_are_refused_with_a_message(typed):
    with pytest.raises(PhoneError) as err:
        normalise_mobile(typed)
    assert str(err.value) and " / " not in str(err.value)  # the page's language only


def test_the_message_is_in_the_active_language():
    with translation.override("en"), pytest.raises(PhoneError, match="^Please enter a mobile"):
        normalise_mobile("")
    with translation.override("vi"), pytest.raises(PhoneError, match="^Hãy nhập số điện thoại"):
        normalise_mobile("")


def test_a_landline_is_not_a_mobile():
    with translation.override("en"), pytest.raises(PhoneError, match="landline"):
        normalise_mobile("02333 852 123")  # Quảng Trị fixed line


def test_e164_and_last_digits():
    assert to_e164("0912345678") == "+84912345678"
    assert to_e164("") == ""
    assert last_digits("0912345678") == "5678"
