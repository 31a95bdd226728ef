"""Readable codes: drawn again while the database refuses them, and never forever."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from postgov.lib.codes import READABLE, NoFreeCode, create_with_code, readable_code


def test_a_code_is_readable_over_the_phone():
    code = readable_code()
    assert len(code) == 8 and set(code) <= set(READABLE)
    assert not set("01IO") & set(READABLE)


def test_a_taken_code_is_drawn_again(db):
    drawn = iter(["TAKEN111", "TAKEN222", "FREE3333"])
    tried = []

    def create(code):
        tried.append(code)
        if code.startswith("TAKEN"):
            raise IntegrityError("duplicate key")
        return code

    assert create_with_code(create, lambda: next(drawn)) == "FREE3333"
    assert tried == ["TAKEN111", "TAKEN222", "FREE3333"]


def test_it_gives_up_after_a_few_draws(db):
    def create(code):
        raise IntegrityError("duplicate key")

    with pytest.raises(NoFreeCode):
        create_with_code(create)
