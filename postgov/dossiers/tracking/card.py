"""The dossier's card on the public tracking page, kept rendered in the shared cache.

The key is a keyed hash of everything the card shows (every value of the `Tracking`, its
steps, the language and the time zone), so a kept card is exactly the card the lookup
would render: any change of the dossier, of its timeline or of a name shown makes another
key, and no lookup is ever answered with an older state. The two values that differ at
each lookup, Form 01's signed token and the page's CSRF token, are put in when the card is
served. The key carries no personal data, and a card is looked for only once the lookup
passed the limits and proved the code with the phone's digits or the token.
"""

from __future__ import annotations

import dataclasses

from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

from postgov.dossiers.tracking.lookup import TIMELINE_SECONDS, Tracking
from postgov.lib.sealing import keyed_hash

TEMPLATE = "dossiers/includes/tracking_dossier.html"
KEY_PURPOSE = "tracking-card"
# Where the per-lookup tokens go in a kept card: runs of letters no card shows otherwise.
FORM_SLOT = "pgFormTokenSlotQx7"
CSRF_SLOT = "pgCsrfTokenSlotQx7"


def card(request, result: Tracking, csrf_token: str = "") -> SafeString:
    """The card of `result` for this request, rendered once per content and language;
    with the page's `csrf_token` when the caller has one (a token masked once serves the
    whole page)."""
    shown = dataclasses.replace(result, form_token=FORM_SLOT if result.form_token else "")
    fingerprint = repr((shown, get_language(), get_current_timezone_name()))
    key = f"track:card:1:{keyed_hash(fingerprint, KEY_PURPOSE)[:40]}"
    html = cache.get(key)
    if not isinstance(html, str):
        html = render_to_string(TEMPLATE, {"result": shown, "csrf_token": CSRF_SLOT})
        cache.set(key, html, TIMELINE_SECONDS)
    # Both tokens are URL-safe characters that HTML escaping leaves as they are.
    html = html.replace(FORM_SLOT, result.form_token).replace(
        CSRF_SLOT, csrf_token or get_token(request)
    )
    return mark_safe(html)  # noqa: S308 - rendered with autoescaping, tokens as above
