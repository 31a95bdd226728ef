"""Conversion before the national units are loaded (a fresh install): a message, no error.

Kept apart from test_conversion.py, whose module fixture loads the units."""

from postgov.places import conversion


def test_without_the_national_data_it_says_so(db):
    result = conversion.convert_old_address("Phường 1, thành phố Đông Hà, tỉnh Quảng Trị")
    assert result.message == conversion.NOT_LOADED
    assert not result.found
