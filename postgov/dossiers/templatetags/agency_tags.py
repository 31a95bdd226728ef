"""Template helpers for the agency and return pages: the deadline badge shown beside a
dossier everywhere, and unaccented text for SMS."""

from __future__ import annotations

import unicodedata

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.dossiers.clock import Calendars, deadline

register = template.Library()

_D = str.maketrans({"Đ": "D", "đ": "d"})


@register.filter
def unaccent(value) -> str:
    """'Đồng Hới' -> 'Dong Hoi': SMS go without diacritics (160 characters a segment)."""
    text = str(value or "").translate(_D)
    return "".join(
        ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn"
    )


def _days(value) -> str:
    text = f"{abs(value):.1f}".replace(".", ",")
    return text[:-2] if text.endswith(",0") else text


@register.inclusion_tag("dossiers/includes/deadline.html", takes_context=True)
def deadline_badge(context, dossier):
    """The days remaining (working days) of a dossier at the agency, as a badge."""
    calendars = context.render_context.setdefault("_calendars", Calendars())
    info = deadline(dossier, calendars=calendars)
    if info.kind == "none":
        text, css = _("not at the agency yet"), "text-bg-light border"
    elif info.kind == "done":
        due = timezone.localtime(info.due_at)
        text, css = _("due %(date)s") % {"date": f"{due:%d/%m/%Y}"}, "text-bg-light border"
    elif info.kind == "paused":
        days = _days(info.days_left) if info.days_left is not None else "?"
        text = _("clock stopped, %(days)s d left") % {"days": days}
        css = "text-bg-secondary"
    elif info.late:
        text, css = _("late by %(days)s d") % {"days": _days(info.days_left)}, "text-bg-danger"
    elif info.due_soon:
        text, css = _("%(days)s d left") % {"days": _days(info.days_left)}, "text-bg-warning"
    else:
        text, css = _("%(days)s d left") % {"days": _days(info.days_left)}, "text-bg-success"
    return {"text": text, "css": css, "info": info}


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def event_label(event) -> str:
    """What happened, in words: the label of the step in the workflow table."""
    from postgov.dossiers.workflow import BY_ACTION

    step = BY_ACTION.get(event.action)
    return str(step.label) if step else event.action


@register.filter
def money(value) -> str:
    """50000 -> '50.000' (Vietnamese groups thousands with dots, in both languages)."""
    try:
        return f"{int(value or 0):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""
