"""The admin's form for a linked procedure: one line per member, checked by the rules."""

from __future__ import annotations

import pytest

from postgov.catalog.admin import LinkedProcedureForm
from tests.factories import make_procedure


@pytest.fixture(autouse=True)
def _english_messages():
    from django.utils import translation

    with translation.override("en"):
        yield


def _form(text):
    return LinkedProcedureForm({"code": "LT.A", "name": "Liên thông", "members_text": text})


@pytest.mark.django_db
def test_members_are_written_one_per_line_and_checked():
    make_procedure("1.001193", "Đăng ký khai sinh")
    make_procedure("1.004194", "Đăng ký thường trú")
    form = _form("1 1.001193 > 1.004194\n2 1.004194\n")
    assert form.is_valid(), form.errors
    assert [m.procedure for m in form.cleaned_data["members_text"]] == ["1.001193", "1.004194"]
    backwards = _form("2 1.001193 > 1.004194\n1 1.004194")
    assert not backwards.is_valid()
    assert "only a later step" in str(backwards.errors)
    unknown = _form("1 1.001193\n2 9.999999")
    assert not unknown.is_valid() and "There is no procedure 9.999999" in str(unknown.errors)
    garbled = _form("one 1.001193")
    assert not garbled.is_valid() and "Line 1" in str(garbled.errors)
