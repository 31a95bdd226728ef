"""Searching procedures without caring for diacritics, case or Đ/đ."""

from __future__ import annotations

import pytest

from postgov.catalog.queries import search_procedures
from postgov.catalog.tests.conftest import make_procedure


@pytest.fixture
def procedures(db):
    make_procedure("1.001193", "Đăng ký khai sinh")
    make_procedure("1.000656", "Đăng ký khai tử")
    make_procedure("1.002809", "Đổi giấy phép lái xe", field="Đường bộ", agency_level="province")
    make_procedure("2.000908", "Chứng thực bản sao từ bản chính", field="Chứng thực")


def names(query: str) -> list[str]:
    return sorted(search_procedures(query).values_list("name", flat=True))


@pytest.mark.parametrize(
    "query",
    ["khai sinh", "dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "Đăng ký khai sinh", "  sinh  khai "],
)
def test_finds_birth_registration_however_it_is_typed(procedures, query):
    assert names(query) == ["Đăng ký khai sinh"]


def test_all_words_must_match(procedures):
    assert names("dang ky") == ["Đăng ký khai sinh", "Đăng ký khai tử"]
    assert names("dang ky lai xe") == []


def test_d_with_stroke_folds_to_d(procedures):
    assert names("doi giay phep") == ["Đổi giấy phép lái xe"]
    assert names("ĐỔI") == ["Đổi giấy phép lái xe"]
    assert names("đường bộ") == ["Đổi giấy phép lái xe"]  # the field is searched too


def test_finds_by_code_and_tolerates_like_wildcards(procedures):
    assert names("1.002809") == ["Đổi giấy phép lái xe"]
    assert names("%") == []
    assert names("_") == []


def test_an_empty_query_finds_everything(procedures):
    assert len(names("")) == 4
    assert len(search_procedures(None)) == 4
