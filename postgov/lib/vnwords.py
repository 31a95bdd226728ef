"""Amounts in Vietnamese words, as receipts write them ("Bằng chữ: ...")."""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALES = ("", "nghìn", "triệu", "tỷ")


def _three(n: int, full: bool) -> str:
    """0–999; `full` reads a leading "không trăm" (a group after a bigger one)."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(DIGITS[units])
    return " ".join(words)


def number_in_words(n: int) -> str:
    if n < 0:
        raise ValueError("negative amount")
    if n == 0:
        return DIGITS[0]
    groups: list[int] = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    parts: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        value = groups[index]
        if value == 0:
            continue
        scale = SCALES[index % 3] if index % 3 else ""
        words = _three(value, full=bool(parts))
        parts.append(words + (f" {scale}" if scale else ""))
        # Every three groups the scale wraps onto "tỷ" (nghìn tỷ, triệu tỷ).
        if index and index % 3 == 0:
            parts.append("tỷ")
    return " ".join(parts)


def vnd_in_words(amount: int) -> str:
    """68000 -> 'Sáu mươi tám nghìn đồng'."""
    text = number_in_words(amount) + " đồng"
    return text[0].upper() + text[1:]
