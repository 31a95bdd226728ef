import os
from collections.abc import Callable, Iterable

from django.core.exceptions import TooManyFieldsSent
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")


def refuse_unreadable_requests(app: Callable) -> Callable:
    """Answer 400 to a request Django refuses while it is still building it, before any
    middleware can turn the refusal into a response: a Content-Type with a charset makes
    Django read the query string at once, so one with more parameters than
    DATA_UPLOAD_MAX_NUMBER_FIELDS would otherwise reach the server as an error (a 500)."""

    def guarded(environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        except TooManyFieldsSent:
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"400 Bad Request"]

    return guarded


application = refuse_unreadable_requests(get_wsgi_application())
