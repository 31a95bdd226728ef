"""Vietnamese text folding for search and matching.

Unicode decomposition strips tones and vowel marks but leaves `Đ/đ` alone (it is a
separate letter, not `D` plus a mark), so it is mapped explicitly.
"""

from __future__ import annotations

import re
import unicodedata

_D_MAP = str.maketrans({"Đ": "D", "đ": "d", "Ɖ": "D", "ɖ": "d"})
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, diacritic-free, single-spaced: 'Đăng ký  Khai sinh' -> 'dang ky khai sinh'."""
    if not text:
        return ""
    text = text.translate(_D_MAP)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip().casefold()


def search_terms(query: str | None) -> list[str]:
    """The folded words of a search query, for an AND-of-words match against folded text."""
    return [word for word in fold(query).split(" ") if word]


def mask_name(full_name: str) -> str:
    """'Nguyễn Văn An' -> 'N*** V** A*': enough for the citizen to recognise, no more."""
    words = [w for w in (full_name or "").split() if w]
    return " ".join(w[0] + "*" * (len(w) - 1) for w in words)


_TYPOGRAPHY = str.maketrans(
    {"–": "-", "—": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "...", "₫": "d"}
)


def unaccent(text: str | None) -> str:
    """'Đăng ký khai sinh' -> 'Dang ky khai sinh': for SMS, where unaccented text fits 160
    characters a segment (GSM-7) and text with diacritics only 70 (UCS-2). Case is kept;
    typographic dashes and quotes become their ASCII forms."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP).translate(_TYPOGRAPHY))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
