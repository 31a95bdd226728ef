import pytest

from tests.factories import make_intake_catalog


@pytest.fixture
def version(world):
    return make_intake_catalog(world)
