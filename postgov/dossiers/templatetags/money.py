"""Amounts as Vietnamese write them: 68.000 (dots between thousands), whatever the
screen's language, since the receipt and the cash drawer say so too."""

from django import template

register = template.Library()


@register.filter
def grouped(amount) -> str:
    try:
        return f"{int(amount or 0):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""
