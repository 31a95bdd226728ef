"""The dossier's INSERT stays within what psycopg converts once and keeps."""

from __future__ import annotations

import pytest

from postgov.dossiers.models import Dossier


def test_the_dossier_row_fits_psycopgs_statement_cache():
    queries = pytest.importorskip("psycopg._queries")
    columns = len(Dossier._meta.concrete_fields)
    assert columns > 50  # why `DossiersConfig.ready` raises psycopg's limit
    assert columns <= queries.MAX_CACHED_STATEMENT_PARAMS
