import pytest

from tests.factories import make_excluded_procedure, make_intake_catalog


@pytest.fixture
def version(world):
    make_excluded_procedure()
    return make_intake_catalog(world)


@pytest.fixture(autouse=True)
def _english_messages():
    """Actions' messages are matched in English; pages (through the client) speak the
    language the request asks for (Vietnamese by default)."""
    from django.utils import translation

    with translation.override("en"):
        yield
