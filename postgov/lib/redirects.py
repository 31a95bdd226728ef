"""Where a form may send the browser back to afterwards.

A `next` parameter comes from the page that posted the form, so anyone can forge one: a
link to our site that ends on someone else's (an open redirect) lends our address to a
phishing page. Only a path on this site (or an absolute address of this very host and
scheme) is followed; anything else falls back to the view's own page.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str, *, field: str = "next") -> str:
    """The posted (or queried) `next` when it stays on this site, else `default`."""
    target = request.POST.get(field) or request.GET.get(field) or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
