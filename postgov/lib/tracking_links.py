"""The tracking token: what the label's QR code and the citizen's messages carry so that
one scan or one tap shows the whole dossier (procedure, agency, timeline), while the
postal item number alone shows only where the item is.

The token is an HMAC of the dossier's id under a key derived from SECRET_KEY for this
purpose alone (`salted_hmac`), cut to 80 bits and written in base32 (16 characters, short
enough for an SMS). Chosen over a random token stored on the dossier because:

- nothing is stored, so there is no column to fill for the dossiers sealed before it
  existed: their reprinted labels, their forms and the next SMS they get carry a
  token at once, and a reprint stays identical to the first print;
- it is not the serial and cannot be computed from it: without the key, each dossier's
  token is a fresh 80-bit guess, and guesses are rate-limited like any failed lookup.

What it costs: a token cannot be withdrawn alone. Rotating SECRET_KEY withdraws them all;
while the old key is listed in SECRET_KEY_FALLBACKS its tokens still work, and after
that an old label still gives the postal status through its item number.
"""

from __future__ import annotations

import base64
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

KEY_SALT = "postgov.dossiers.tracking.token"
TOKEN_BYTES = 10  # 80 bits: 16 base32 characters
TOKEN_LENGTH = 16


def token_for(dossier_id: int, *, secret: str | None = None) -> str:
    """The dossier's tracking token (under SECRET_KEY, or `secret`)."""
    return _token(f"dossier:{dossier_id}", secret)


def pickup_token_for(booking_id: int, *, secret: str | None = None) -> str:
    """A home-pickup booking's token, for the link in its text messages: the same
    construction under another name, so no booking's token opens a dossier."""
    return _token(f"pickup:{booking_id}", secret)


def _token(name: str, secret: str | None) -> str:
    mac = salted_hmac(KEY_SALT, name, secret=secret, algorithm="sha256")
    return base64.b32encode(mac.digest()[:TOKEN_BYTES]).decode()


def token_matches(dossier_id: int, token: str) -> bool:
    """Whether `token` (as typed or scanned: any case, spaces ignored) is this dossier's,
    under the current key or one still listed as a fallback."""
    return _matches(f"dossier:{dossier_id}", token)


def pickup_token_matches(booking_id: int, token: str) -> bool:
    return _matches(f"pickup:{booking_id}", token)


def _matches(name: str, token: str) -> bool:
    token = "".join((token or "").split()).upper()
    if len(token) != TOKEN_LENGTH:
        return False
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    # Every key is tried, so the time taken does not tell which one matched.
    found = False
    for secret in secrets:
        found |= constant_time_compare(_token(name, secret), token)
    return found


def tracking_url(code: str = "", *, token: str = "", absolute: bool = True) -> str:
    """The public tracking page, opened on `code` (with its `token`) when given. Absolute,
    as printed and sent to citizens; a path for a redirect within the site."""
    url = reverse("dossiers:track")
    query = {name: value for name, value in (("code", code), ("t", token)) if value}
    if query:
        url += "?" + urlencode(query)
    return settings.SITE_URL + url if absolute else url


def page_url() -> str:
    """The public tracking page, as printed and sent to citizens."""
    return tracking_url()


def link(code: str, dossier_id: int) -> str:
    """The tracking page opened on this dossier with its token: what a QR code or a
    message to the citizen carries. `code` is the item number or the dossier code."""
    return tracking_url(code, token=token_for(dossier_id))


def pickup_link(code: str, booking_id: int, *, absolute: bool = True) -> str:
    """The tracking page opened on a home-pickup booking with its token."""
    return tracking_url(code, token=pickup_token_for(booking_id), absolute=absolute)
