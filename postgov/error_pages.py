"""The pages Django shows when a request is refused before or outside a view (400, 403,
404).

Django's own error views carry `requires_csrf_token`, which runs the CSRF check once more
on the request being refused. When that request is the problem, the check fails again and
the refusal becomes a 500: a form body declaring a charset other than UTF-8 is read again
(BadRequest), an Origin header is compared with a Host that was just refused
(DisallowedHost). CsrfViewMiddleware already runs on every request and sets the cookie for
any page that asks for a token, so these views do without the decorator."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)
