from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from postgov.assisted.models import AssistanceTariff
from postgov.catalog.models import ExemptCategory
from tests.factories import make_procedure

# The agency A of the personas receives dossiers under this unit code.
CODE_A = "000.00.44.H56-260310-0042"


@pytest.fixture
def tariff(world):
    return AssistanceTariff.objects.create(
        name="Phí hỗ trợ dịch vụ công trực tuyến 2026", valid_from=date(2026, 1, 1), amount=20000
    )


@pytest.fixture
def procedure(db):
    return make_procedure().procedure


@pytest.fixture
def elderly(db):
    return ExemptCategory.objects.create(code="CAO_TUOI_75", name="Người cao tuổi từ 75 tuổi")


@pytest.fixture
def english():
    """The messages of actions in English, so tests read them (pages say them in Vietnamese)."""
    with translation.override("en"):
        yield
