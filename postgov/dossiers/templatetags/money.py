"""Amounts as Vietnamese write them: 68.000 (dots between thousands), whatever the
screen's language, since the receipt and the cash drawer say so too."""

from django import template

from postgov.lib.money import format_vnd

register = template.Library()


@register.filter
def grouped(amount) -> str:
    try:
        return format_vnd(amount or 0, symbol=False)
    except (TypeError, ValueError, ArithmeticError):
        return ""
