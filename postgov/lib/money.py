"""Amounts of Vietnamese đồng as people read them: "26.000 ₫".

VND has no minor unit in use, and Vietnamese groups thousands with a dot whatever the
page language, so this does not go through Django's localisation.
"""

from __future__ import annotations

from decimal import Decimal


def format_vnd(amount: int | Decimal | None, *, symbol: bool = True) -> str:
    """26000 -> "26.000 ₫"; -1500 -> "-1.500 ₫"; None -> ""."""
    if amount is None:
        return ""
    value = int(Decimal(amount).to_integral_value())
    grouped = f"{abs(value):,}".replace(",", ".")
    text = f"-{grouped}" if value < 0 else grouped
    return f"{text} ₫" if symbol else text
