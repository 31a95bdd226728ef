"""Strict-Transport-Security on every production response."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Strict-Transport-Security"


class StrictTransportSecurityMiddleware:
    """Django's SecurityMiddleware sends HSTS only on requests it sees as https, which
    behind a TLS proxy it does only when told so (BEHIND_TLS_PROXY): a proxy nobody
    declared would silently switch HSTS off. Browsers ignore the header when it comes over
    plain http (RFC 6797 8.1), so sending it on every response costs nothing and cannot
    lock out a site still reached without TLS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        seconds = settings.SECURE_HSTS_SECONDS
        if seconds and HEADER not in response:
            response[HEADER] = f"max-age={seconds}"
        return response
