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


def edit_distance(a: str, b: str) -> int:
    """How many single-character insertions, deletions, substitutions or swaps of two
    neighbouring characters turn `a` into `b` (optimal string alignment): a slip of the
    keyboard such as 'Ngyuen' for 'Nguyen' counts as one."""
    if a == b:
        return 0
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]
