"""The dossier's card on the public tracking page, kept rendered in the shared cache.

A lookup keeps the card under a keyed hash of what it is made of (`kept_key`): the
dossier's values read with it, its latest event (the timeline's version, as the timeline
is kept), the language and the time zone. So the lookup asks the cache for the card and
the timeline together, before reading any timeline, and a kept card needs neither the
timeline nor a render; any change of the dossier or a new event makes another key, and no
lookup is ever answered with an older state. A card rendered from a kept timeline is kept
only for what is left of that timeline's time, so a renamed post office shows within
`TIMELINE_SECONDS` at most, as before. A card asked for without a key (`card`) is kept
under a keyed hash of everything it shows.

A card is rendered from its template once per process, language, time zone and the set
of optional parts it shows (`render`), with marks in place of the dossier's values; a
first lookup of a dossier puts its values in, escaped as the template escapes them and
dates formatted as the template's filters format them, byte for byte the template's card
(tested). The two values that differ at each lookup, Form 01's signed token and the
page's CSRF token, are put in when the card is served. The keys carry no personal data,
and a card is looked for only once the lookup passed the limits and proved the code with
the phone's digits or the token.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, tzinfo
from html import escape
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import (
    get_current_timezone,
    get_current_timezone_name,
    is_aware,
    localtime,
)
from django.utils.translation import get_language

from postgov.lib.sealing import keyed_hash

if TYPE_CHECKING:
    from collections.abc import Iterable

    from postgov.dossiers.tracking.lookup import Step, Tracking

TEMPLATE = "dossiers/includes/tracking_dossier.html"
KEY_PURPOSE = "tracking-card"
# As long as the timeline a card shows is kept (`lookup.TIMELINE_SECONDS`, tested equal).
CARD_SECONDS = 60 * 60
# Where the per-lookup tokens go in a kept card: runs of letters no card shows otherwise.
FORM_SLOT = "pgFormTokenSlotQx7"
CSRF_SLOT = "pgCsrfTokenSlotQx7"


def timeline_html(steps: Iterable[Step]) -> SafeString:
    """The timeline's items, byte for byte what the card's loop rendered with a template
    node per value (tested equal): the steps are most of a card's nodes, and a first
    lookup of a dossier renders its card. Values escaped as autoescaping escapes them."""
    zone = get_current_timezone()
    items = []
    for step in steps:
        place = f" · {escape(str(step.place))}" if step.place else ""
        items.append(
            f"<li><strong>{escape(str(step.label))}</strong>"
            f'<div class="text-muted">{step.shown_in(zone)}{place}</div></li>'
        )
    return mark_safe("".join(items))  # noqa: S308 - escaped above; the times are digits


# Where a kept card's template form takes the dossier's values (`render`).
TEXT_SLOTS = {
    "code": "pgCardCodeSlotQx7",
    "masked_name": "pgCardNameSlotQx7",
    "procedure": "pgCardProcedureSlotQx7",
    "agency": "pgCardAgencySlotQx7",
    "status_label": "pgCardStatusSlotQx7",
}
ITEMS_SLOT = "pgCardItemsSlotQx7"
TIMELINE_SLOT = "pgCardTimelineSlotQx7"
# The dates go through the template's `date` filter, which no mark survives: the form is
# rendered with these dates, unlike any other text of the card, and what the filter made
# of each is replaced by its mark (`_form`).
DATE_STANDINS = {
    "expected_handover": datetime(2001, 1, 21, 12, 0, tzinfo=UTC),
    "due_at": datetime(2002, 2, 22, 12, 34, tzinfo=UTC),
    "expected_return_at": datetime(2003, 3, 23, 12, 0, tzinfo=UTC),
}
DATE_SLOTS = {
    "expected_handover": "pgCardHandoverSlotQx7",
    "due_at": "pgCardDueSlotQx7",
    "expected_return_at": "pgCardReturnSlotQx7",
}
# The filters' formats in the template, as `shown_date` writes them.
DATE_FORMATS = {"expected_handover": "d/m/Y", "due_at": "H:i d/m/Y", "expected_return_at": "d/m/Y"}
SLOTS = re.compile(
    "|".join([*TEXT_SLOTS.values(), ITEMS_SLOT, TIMELINE_SLOT, *DATE_SLOTS.values()])
)
# A handful: two languages, a zone or two, the optional parts shown (at most 32 sets).
_forms: dict[tuple, str] = {}


def shown_date(value: datetime, zone: tzinfo, with_time: bool) -> str:
    """`value` as the template's `|date:"d/m/Y"` (`"H:i d/m/Y"` when `with_time`) shows
    it in `zone` (tested equal): digits only, the same in every language."""
    at = localtime(value, zone)
    day = f"{at.day:02d}/{at.month:02d}/{at.year:04d}"
    return f"{at.hour:02d}:{at.minute:02d} {day}" if with_time else day


def render(result: Tracking, has_form: bool) -> str:
    """The card of `result` with the marks of the two tokens (Form 01's when `has_form`):
    its values put in the card's kept form, or the template rendered for a card the form
    does not cover (`_fits`)."""
    if not _fits(result):
        return render_template(result, has_form)
    zone = get_current_timezone()
    shows_return = result.expected_return_at is not None and not result.final
    dates = {
        "expected_handover": result.expected_handover,
        "due_at": result.due_at,
        "expected_return_at": result.expected_return_at if shows_return else None,
    }
    shown = frozenset(name for name, value in dates.items() if value is not None)
    key = (get_language(), get_current_timezone_name(), has_form, result.final, shown)
    form = _forms.get(key)
    if form is None:
        form = _forms[key] = _form(has_form, result.final, shown, zone)
    if not form:
        return render_template(result, has_form)
    values: dict[str, str] = {
        slot: conditional_escape(getattr(result, name)) for name, slot in TEXT_SLOTS.items()
    }
    values[ITEMS_SLOT] = ", ".join(conditional_escape(item) for item in result.items)
    values[TIMELINE_SLOT] = str(result.timeline_html)
    for name in shown:
        value = dates[name]
        assert value is not None  # noqa: S101 - `shown` holds the dates given
        values[DATE_SLOTS[name]] = shown_date(value, zone, with_time=name == "due_at")
    # One pass: a value put in is never searched for marks again.
    return SLOTS.sub(lambda match: values[match.group(0)], form)


def render_template(result: Tracking, has_form: bool) -> str:
    """The card of `result` rendered by its template, with the marks of the two tokens."""
    shown = dataclasses.replace(result, form_token=FORM_SLOT if has_form else "")
    return render_to_string(TEMPLATE, {"result": shown, "csrf_token": CSRF_SLOT})


def _fits(result: Tracking) -> bool:
    # The kept form covers text values given as strings (a number would be localized,
    # `None` shown as "None") and aware dates (the filter shows a naive one unconverted).
    texts = [getattr(result, name) for name in TEXT_SLOTS]
    return (
        all(isinstance(text, str) for text in texts)
        and isinstance(result.items, list)
        and all(isinstance(item, str) for item in result.items)
        and all(
            value is None or (isinstance(value, datetime) and is_aware(value))
            for value in (result.expected_handover, result.due_at, result.expected_return_at)
        )
    )


def _form(has_form: bool, final: bool, shown: frozenset[str], zone: tzinfo) -> str:
    """The card's template rendered with marks, for cards showing the dates in `shown`;
    "" when a date does not show as `shown_date` writes it (each card then rendered)."""
    marked = SimpleNamespace(
        **TEXT_SLOTS,
        items=[ITEMS_SLOT],
        final=final,
        form_token=FORM_SLOT if has_form else "",
        timeline_html=mark_safe(TIMELINE_SLOT),  # noqa: S308 - a constant
        **{name: DATE_STANDINS[name] if name in shown else None for name in DATE_STANDINS},
    )
    # `expected_return_at` is shown only while not final: a final card gets none to show.
    html: str = render_to_string(TEMPLATE, {"result": marked, "csrf_token": CSRF_SLOT})
    for name in shown:
        standin = shown_date(DATE_STANDINS[name], zone, with_time=name == "due_at")
        if html.count(standin) != 1:
            return ""  # the template no longer shows it as the form expects: render each
        html = html.replace(standin, DATE_SLOTS[name])
    return html


def kept_key(head: Tracking, dossier_id: int, version: int, offers_form: bool) -> str:
    """The key of the card of `head` (the dossier's values, without its timeline) at the
    timeline `version` of dossier `dossier_id`, in this language and time zone, with Form
    01's button or not (`offers_form`: a lookup by code and digits, once handed over)."""
    shown = dataclasses.replace(head, steps=[], items=[], form_token="")
    fingerprint = repr(
        (shown, dossier_id, version, offers_form, get_language(), get_current_timezone_name())
    )
    return f"track:card:2:{keyed_hash(fingerprint, KEY_PURPOSE)[:40]}"


def card(request, result: Tracking, csrf_token: str = "") -> SafeString:
    """The card of `result` for this request, the one the lookup kept (`kept_card`) or
    rendered once per content and language; with the page's `csrf_token` when the caller
    has one (a token masked once serves the whole page)."""
    html = result.kept_card
    if not html:
        shown = dataclasses.replace(result, form_token=FORM_SLOT if result.form_token else "")
        fingerprint = repr((shown, get_language(), get_current_timezone_name()))
        key = f"track:card:1:{keyed_hash(fingerprint, KEY_PURPOSE)[:40]}"
        html = cache.get(key)
        if not isinstance(html, str):
            html = render(result, bool(result.form_token))
            cache.set(key, html, CARD_SECONDS)
    # Both tokens are URL-safe characters that HTML escaping leaves as they are.
    html = html.replace(FORM_SLOT, result.form_token).replace(
        CSRF_SLOT, csrf_token or get_token(request)
    )
    return mark_safe(html)  # noqa: S308 - rendered with autoescaping, tokens as above
