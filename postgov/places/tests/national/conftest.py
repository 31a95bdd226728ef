"""Tests that need the national units (34 provinces, 3,321 communes, the legacy units).

Loading them takes a couple of seconds, so this package loads them once (`admin_units`,
package scope) inside a transaction that is rolled back when the package's last test is
done; each test still runs in its own savepoint, so tests cannot see each other's writes,
and tests elsewhere (with the small `world` of conftest.py) start from an empty database.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from postgov.places.loading import LoadReport, load_admin_units


@pytest.fixture(scope="package")
def admin_units(django_db_setup, django_db_blocker) -> LoadReport:
    with django_db_blocker.unblock(), transaction.atomic():
        report = load_admin_units()
        if connection.vendor == "postgresql":
            # Fire the deferred foreign-key checks of these 27,000 rows now, once; left
            # pending, Django's per-test teardown would re-check them after every test.
            connection.check_constraints()
        yield report
        transaction.set_rollback(True)


@pytest.fixture
def places(admin_units, db) -> LoadReport:
    """The national units, for a test that also needs the usual `db` savepoint."""
    return admin_units
