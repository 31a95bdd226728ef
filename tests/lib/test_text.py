"""Edit distance between folded names (counter proofing's "small correction")."""

import pytest

from postgov.lib.text import edit_distance


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("ngo van nam", "ngo van nam", 0),
        ("ngo van nam", "ngo van nem", 1),  # a wrong letter
        ("ngo van nam", "ngo vna nam", 1),  # two neighbours swapped
        ("ngo van nam", "ngo vannam", 1),  # a missing space
        ("ngo van nam", "ngo vn nm", 2),
        ("nguyen", "", 6),
        ("", "an", 2),
        ("ca", "abc", 3),  # a swapped pair is not edited again
        ("tran thi hoa", "ngo van nam", 10),
    ],
)
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance
