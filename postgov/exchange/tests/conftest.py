import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Files written by the tests (signatures, results, photos) go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english_messages():
    """Actions' messages are matched in English; pages (through the client) speak the
    language the request asks for (Vietnamese by default)."""
    from django.utils import translation

    with translation.override("en"):
        yield
