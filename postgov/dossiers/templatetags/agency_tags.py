"""Template helpers for the agency and return pages: the deadline badge shown beside a
dossier everywhere, and unaccented text for SMS."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.dossiers.clock import Calendars, deadline
from postgov.dossiers.workflow import BY_ACTION

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
    """The days remaining (working days) of a dossier at the agency, as a badge whose
    colour is the clock's standing: the same rule as the inbox's tabs."""
    calendars = context.render_context.setdefault("_calendars", Calendars())
    info = deadline(dossier, calendars=calendars)
    if info.kind == "none":
        text, css = _("not at the agency yet"), "text-bg-light border"
    elif info.kind == "done":
        due = timezone.localtime(info.due_at)
        text, css = _("due %(date)s") % {"date": f"{due:%d/%m/%Y}"}, "text-bg-light border"
    elif info.kind == "paused":
        if info.late:
            text = _("late, clock stopped")
            css = "text-bg-danger"
        else:
            days = _days(info.days_left) if info.days_left is not None else "?"
            text = _("clock stopped, %(days)s d left") % {"days": days}
            css = "text-bg-secondary"
    elif info.late:
        text, css = _late(info), "text-bg-danger"
    elif info.due_soon:
        text, css = _soon(info), "text-bg-warning"
    else:
        text, css = _("%(days)s d left") % {"days": _days(info.days_left)}, "text-bg-success"
    return {"text": text, "css": css, "info": info}


def _late(info) -> str:
    # Late after office hours on the due day is less than a tenth of a working day late:
    # the badge says since when rather than "late by 0 d".
    days = -info.days_left
    if days >= Decimal("0.1"):
        return _("late by %(days)s d") % {"days": _days(days)}
    due = timezone.localtime(info.due_at)
    return _("late since %(time)s") % {"time": f"{due:%H:%M %d/%m}"}


def _soon(info) -> str:
    due = timezone.localtime(info.due_at)
    if due.date() == timezone.localdate():
        return _("due today at %(time)s") % {"time": f"{due:%H:%M}"}
    return _("%(days)s d left") % {"days": _days(info.days_left)}


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def event_label(event) -> str:
    """What happened, in words: the label of the step in the workflow table."""
    step = BY_ACTION.get(event.action)
    return str(step.label) if step else event.action


@register.filter
def money(value) -> str:
    """50000 -> '50.000' (Vietnamese groups thousands with dots, in both languages)."""
    try:
        return f"{int(value or 0):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""
