"""The shortcut for phone numbers already in national form must answer exactly as
`phonenumbers` does: it may only skip the parsing, never change an answer."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from django import forms as django_forms

from postgov.identity import forms

SUFFIXES = ("000000", "999999", "123456", "987650", "505050")


def parsed(text: str) -> str | None:
    """What `phonenumbers` alone makes of the text: its national form, or None."""
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or number.country_code != 84:
        return None
    return "0" + str(number.national_number)


def test_every_prefix_agrees_with_phonenumbers():
    """Over every three-digit prefix: the shortcut takes a number only if `phonenumbers`
    accepts it as it is, and takes every prefix whose numbers it accepts whatever their
    last six digits (a prefix with ranges inside it, 121, 180, 190, is left to it)."""
    rnd = random.Random(2026)
    wrongly_taken, missed = [], []
    for prefix in range(1000):
        suffixes = [*SUFFIXES, f"{rnd.randrange(10**6):06d}", f"{rnd.randrange(10**6):06d}"]
        texts = [f"0{prefix:03d}{suffix}" for suffix in suffixes]
        accepted = [parsed(text) == text for text in texts]
        taken = [forms.CANONICAL_NATIONAL.fullmatch(text) is not None for text in texts]
        wrongly_taken += [t for t, a, f in zip(texts, accepted, taken, strict=True) if f and not a]
        if all(accepted) and not all(taken):
            missed.append(f"{prefix:03d}")
    assert wrongly_taken == []
    assert missed == []


@pytest.mark.parametrize(
    "text",
    ["0912345678", "0323456789", "0522123456", "0896000000", "0990111222", "0672123456"],
)
def test_a_number_in_national_form_is_taken_as_it_is(text):
    assert parsed(text) == text
    assert forms.normalise_phone(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0912 345 678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("912345678", "0912345678"),
        # Digits of another script match `\d` but are phonenumbers' to normalise.
        ("\u0660\u0669\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", "0912345678"),
    ],
)
def test_other_forms_still_go_through_phonenumbers(text, expected):
    assert forms.CANONICAL_NATIONAL.fullmatch(text) is None
    assert forms.normalise_phone(text) == expected


@pytest.mark.parametrize(
    "text", ["0521234567", "0992234567", "0201234567", "09123456789", "091234567", "abc", ""]
)
def test_refused_numbers_are_refused_with_phonenumbers_messages(text):
    assert parsed(text) is None
    with pytest.raises(django_forms.ValidationError):
        forms.normalise_phone(text)
