import pytest


@pytest.fixture(autouse=True)
def _fresh_signing_key_cache():
    """Each test's database starts without keys: forget the process's cached key."""
    from postgov.identity.oidc import keys

    keys._current.clear()
    yield
    keys._current.clear()
