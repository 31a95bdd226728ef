"""Template filters for catalog data."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import floatformat
from django.utils.translation import ngettext

from postgov.catalog.models import ProcedureVersion
from postgov.lib.money import format_vnd

register = template.Library()


@register.filter
def vnd(amount) -> str:
    """{{ fee.amount|vnd }} -> "26.000 ₫"."""
    return format_vnd(amount)


@register.filter
def time_limit(version: ProcedureVersion | None) -> str:
    """{{ version|time_limit }} -> "1 working day", "4 working hours", "1.5 working days"
    (with the decimal mark of the page's language)."""
    if version is None:
        return ""
    amount = version.processing_time
    # Plural rules take whole numbers; "1.5 days" reads as a plural.
    count = int(amount) if amount == amount.to_integral_value() else 2
    shown = floatformat(amount, "-1")
    if version.time_unit == ProcedureVersion.TimeUnit.WORKING_HOURS:
        text = ngettext("%(time)s working hour", "%(time)s working hours", count)
    else:
        text = ngettext("%(time)s working day", "%(time)s working days", count)
    return text % {"time": shown}
