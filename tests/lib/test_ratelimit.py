import pytest

from postgov.lib.ratelimit import hit


@pytest.mark.django_db
def test_limit_is_per_key_and_scope():
    assert all(hit("track", "10.0.0.1", 3, 60) for _ in range(3))
    assert not hit("track", "10.0.0.1", 3, 60)
    assert hit("track", "10.0.0.2", 3, 60)
    assert hit("booking", "10.0.0.1", 3, 60)
