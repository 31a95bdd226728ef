"""Short codes people read aloud and type (a pickup booking, an appointment): random, kept
unique by the database, drawn again on the rare collision."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, transaction

# No 0/O, no 1/I: codes are read over the phone.
READABLE = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ATTEMPTS = 5

T = TypeVar("T")


class NoFreeCode(RuntimeError):
    """Every code drawn was taken (or the row breaks another constraint)."""


def readable_code(length: int = 8) -> str:
    return "".join(secrets.choice(READABLE) for _ in range(length))


def create_with_code(create: Callable[[str], T], new_code: Callable[[], str] = readable_code) -> T:
    """`create(code)` with a fresh code, in a savepoint, until the unique constraint lets
    one through. Call inside the caller's transaction."""
    for _attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return create(new_code())
        except IntegrityError:
            continue
    raise NoFreeCode(f"no free code after {ATTEMPTS} draws")
