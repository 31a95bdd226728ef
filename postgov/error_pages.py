"""The pages Django shows when a request is refused before or outside a view (400, 403,
404), and the page of a server error (500).

Django's own error views carry `requires_csrf_token`, which runs the CSRF check once more
on the request being refused. When that request is the problem, the check fails again and
the refusal becomes a 500: a form body declaring a charset other than UTF-8 is read again
(BadRequest), an Origin header is compared with a Host that was just refused
(DisallowedHost). CsrfViewMiddleware already runs on every request and sets the cookie for
any page that asks for a token, so these views do without the decorator."""

from __future__ import annotations

import logging
import sys

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils import translation

from postgov.ops.unavailable import is_database_unavailable, unavailable_response

logger = logging.getLogger(__name__)

# When even the template cannot be rendered: the default language, plain text.
LAST_RESORT = (
    '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Lỗi hệ thống</title>'
    "</head><body><h1>Lỗi hệ thống</h1><p>Đã có lỗi xảy ra. Vui lòng thử lại sau ít phút.</p>"
    "</body></html>"
)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered with nothing that may be what failed: no database (no session, no user, no
    context processors), no request context. The language comes from the request itself
    (the language cookie, then Accept-Language), else the site's default, Vietnamese.

    Django calls it while handling the exception: one raised because the database cannot
    be reached (in a middleware, before any view) is answered 503, to try again shortly."""
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    try:
        language = translation.get_language_from_request(request)
    except Exception:  # a request too broken to read: the default language
        language = None
    try:
        with translation.override(language or "vi"):
            html = loader.get_template("500.html").render({"LANGUAGE_CODE": language or "vi"})
    except Exception:
        logger.exception("The server-error page could not be rendered")
        html = LAST_RESORT
    return HttpResponseServerError(html)
