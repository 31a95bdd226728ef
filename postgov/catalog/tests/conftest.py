"""Catalog test fixtures: a small procedure with versions, and the demo catalog."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from postgov.catalog.actions import publish_version
from postgov.catalog.demo import load_demo
from postgov.catalog.models import Procedure
from postgov.catalog.specs import DocumentSpec, FeeSpec, VersionContent
from tests.clients import PostGovClient


def content(**overrides) -> VersionContent:
    values = {
        "processing_time": Decimal("3"),
        "time_unit": "working_days",
        "result_type": "Giấy xác nhận",
        "documents": (DocumentSpec("Tờ khai (theo mẫu)", "original"),),
        "fees": (FeeSpec("Lệ phí", 10_000),),
    }
    values.update(overrides)
    return VersionContent(**values)


def make_procedure(code: str = "1.999001", name: str = "Cấp giấy xác nhận thử", **extra):
    values = {"field": "Hộ tịch", "agency_level": "commune"}
    values.update(extra)
    return Procedure.objects.create(code=code, name=name, **values)


@pytest.fixture
def client() -> PostGovClient:
    """A browser that asks for English: the assertions on interface text stay true when
    the Vietnamese translations arrive (data such as procedure names is Vietnamese in
    either language)."""
    return PostGovClient(headers={"Accept-Language": "en"})


@pytest.fixture
def procedure(db):
    """A procedure with v1 from 2016-01-01 and v2 from 2025-07-01 (v1 ends 2025-06-30)."""
    procedure = make_procedure()
    publish_version(procedure, content(), effective_from=date(2016, 1, 1))
    publish_version(
        procedure, content(processing_time=Decimal("5")), effective_from=date(2025, 7, 1)
    )
    return procedure


@pytest.fixture
def demo_catalog(world):
    """The whole demo (catalog, Quảng Trị tariff, exempt categories) on the test world,
    whose province is code 44."""
    load_demo()
    return world
