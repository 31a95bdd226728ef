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

The two values that differ at each lookup, Form 01's signed token and the page's CSRF
token, are put in when the card is served. The keys carry no personal data, and a card
is looked for only once the lookup passed the limits and proved the code with the
phone's digits or the token.
"""

from __future__ import annotations

import dataclasses
from html import escape
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone, get_current_timezone_name
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


def render(result: Tracking, has_form: bool) -> str:
    """The card of `result` with the marks of the two tokens (Form 01's when `has_form`)."""
    shown = dataclasses.replace(result, form_token=FORM_SLOT if has_form else "")
    return render_to_string(TEMPLATE, {"result": shown, "csrf_token": CSRF_SLOT})


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
