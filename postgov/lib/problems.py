"""RFC 9457 problem details (application/problem+json): the one error format of the JSON
API, answered by the API's handlers, by the apps' API views and by middleware in front of
them. It depends on nothing of PostGov's, so every layer may answer with it."""

from __future__ import annotations

import json
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from ninja.responses import NinjaJSONEncoder

PROBLEM_JSON = "application/problem+json"


def problem(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    **extra: object,
) -> HttpResponse:
    body = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
        **extra,
    }
    # The API's own encoder (lazy strings, dates, decimals), as its other answers use.
    return HttpResponse(
        json.dumps(body, cls=NinjaJSONEncoder), status=status, content_type=PROBLEM_JSON
    )
