import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Files written by the tests (signatures, results, photos) go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
