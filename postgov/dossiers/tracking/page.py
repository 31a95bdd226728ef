"""The tracking page around a dossier's card, rendered once per process and language.

A lookup that finds a dossier shows the same page to every visitor who has no session
(no cookie but the CSRF and language ones: not signed in, no messages, no practice
class): the layout, the menu for the public, the form. Only the values of the request go
in: what was typed in the form, the CSRF token, the page's own address (the language
switch's "next") and the dossier's card (`card.py`). So the page is rendered once with
marks in their places, kept in this process, and served by putting each value, escaped as
the template escapes it, in its mark; a kept page is byte for byte the page the template
would render (tested). It holds nothing of any visitor or dossier, only what the code
renders, as Django's cached template loader holds the parsed templates; a new release
starts new processes, so no kept page outlives its templates. A visitor with a session
gets the page rendered for them, as every other page.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.forms import Form
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

from postgov.delivery.forms import TrackForm
from postgov.dossiers.tracking.lookup import Tracking

TEMPLATE = "dossiers/track.html"
CODE_SLOT = "pgCodeSlotQx7"
DIGITS_SLOT = "pgDigitsSlotQx7"
CARD_SLOT = "pgCardSlotQx7"
NEXT_SLOT = "pgNextSlotQx7"
CSRF_SLOT = "pgPageCsrfSlotQx7"
SLOTS = re.compile("|".join((CODE_SLOT, DIGITS_SLOT, CARD_SLOT, NEXT_SLOT, CSRF_SLOT)))
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# A handful: two languages, the form with or without the digits, the time zone.
_kept: dict[tuple[str, str, str, bool], str] = {}


def keepable(request: HttpRequest) -> bool:
    """Whether this request sees the page every visitor without a session sees."""
    plain = {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}
    return not settings.CSRF_USE_SESSIONS and all(name in plain for name in request.COOKIES)


def _value(form: Form, name: str) -> str | None:
    # As the text input renders it: no value attribute for "" or None.
    value = form[name].value()
    return None if value in ("", None) else str(value)


def dossier_page(
    request: HttpRequest, form: Form, result: Tracking, card: str, csrf_token: str
) -> str:
    """The page of a found dossier for a `keepable` request whose `form` is valid, with
    its `card` and this request's `csrf_token` (`get_token`)."""
    code, digits = _value(form, "code"), _value(form, "phone_last4")
    key = (get_language(), get_current_timezone_name(), request.path, digits is not None)
    shell = _kept.get(key)
    if shell is None:
        shell = _render_shell(request, result, has_digits=digits is not None)
        _kept[key] = shell
    values = {
        CODE_SLOT: escape(code or ""),
        DIGITS_SLOT: escape(digits or ""),
        CARD_SLOT: card,
        NEXT_SLOT: escape(request.get_full_path()),
        CSRF_SLOT: csrf_token,
    }
    # One pass: a value put in is never searched for marks again.
    return SLOTS.sub(lambda match: values[match.group(0)], shell)


def _render_shell(request: HttpRequest, result: Tracking, *, has_digits: bool) -> str:
    form = TrackForm({"code": CODE_SLOT, "phone_last4": "0000" if has_digits else ""})
    form.is_valid()  # as the view's form was: no errors shown
    form.data = {"code": CODE_SLOT, "phone_last4": DIGITS_SLOT if has_digits else ""}
    html = render(
        request,
        TEMPLATE,
        {
            "form": form,
            "result": result,
            "card": mark_safe(CARD_SLOT),  # noqa: S308 - a constant
            "message": "",
            "needs_digits": False,
            "language_next": NEXT_SLOT,
        },
    ).content.decode()
    # The context processors give the page this request's CSRF token: mark its places.
    token = CSRF_VALUE.search(html)
    if token is not None:
        html = html.replace(token.group(1), CSRF_SLOT)
    return html
