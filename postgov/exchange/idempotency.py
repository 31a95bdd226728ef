"""`Idempotency-Key` for the agency API's mutating calls.

The first call with a key claims it (a row committed at once, so a concurrent retry sees
it), runs, and stores its answer in the same transaction as its effect. A retry with the
same key and the same request gets the stored answer again (`Idempotent-Replayed: true`);
the same key with a different request is refused (422); a retry while the first call is
still running gets 409. A call that fails with a server error stores nothing, so it may be
retried. Keys are per agency, whatever credential (API key or OAuth2 token) the call
carries, and kept for `RETENTION` (then purged by the SLA task). A credential that may not
write is answered 403 without claiming the key.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.exchange.integration import WRITE, request_credential
from postgov.exchange.models import IdempotencyRecord
from postgov.lib.problems import problem

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=48)
STALE = timedelta(minutes=2)  # a claim older than this was left by a crashed process
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class _RolledBack(Exception):
    pass


def request_key(request):
    """The request's agency credential (API key or OAuth2 access token), or None."""
    return request_credential(request)


def fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\n")
    digest.update(request.path.encode())
    digest.update(b"\n")
    digest.update(request.body or b"")
    return digest.hexdigest()


def _problem(request, status: int, detail: str) -> HttpResponse:
    return problem(request, status, detail)


def idempotent(run):
    """A view decorator for django-ninja's `decorate_view` on mutating operations."""

    @wraps(run)
    def wrapper(request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return run(request, *args, **kwargs)
        credential = request_key(request)
        if credential is None or not credential.allows(WRITE):
            return run(request, *args, **kwargs)  # answers 401 or 403
        if not _VALID_KEY.match(key):
            return _problem(
                request,
                400,
                _("The Idempotency-Key must be 1–255 printable ASCII characters."),
            )
        agency_id = credential.agency_id
        request_hash = fingerprint(request)
        try:
            with transaction.atomic():
                claim = IdempotencyRecord.objects.create(
                    agency_id=agency_id,
                    key=key,
                    request_hash=request_hash,
                    method=request.method,
                    path=request.path[:300],
                )
        except IntegrityError:
            claim = IdempotencyRecord.objects.get(agency_id=agency_id, key=key)
            if claim.request_hash != request_hash:
                return _problem(
                    request,
                    422,
                    _("This Idempotency-Key was used for a different request."),
                )
            if claim.status_code is not None:
                response = HttpResponse(
                    claim.response_body, status=claim.status_code, content_type=claim.content_type
                )
                response["Idempotent-Replayed"] = "true"
                return response
            if timezone.now() - claim.created_at < STALE:
                return _problem(
                    request,
                    409,
                    _("A request with this Idempotency-Key is still being processed."),
                )
            IdempotencyRecord.objects.filter(pk=claim.pk).update(created_at=timezone.now())
        holder = {}
        try:
            with transaction.atomic():
                response = run(request, *args, **kwargs)
                holder["response"] = response
                if response.status_code >= 500:
                    raise _RolledBack
                IdempotencyRecord.objects.filter(pk=claim.pk).update(
                    status_code=response.status_code,
                    response_body=response.content.decode("utf-8", "replace"),
                    content_type=response.get("Content-Type", "application/json")[:60],
                )
        except _RolledBack:
            IdempotencyRecord.objects.filter(pk=claim.pk).delete()
            return holder["response"]
        except Exception:
            IdempotencyRecord.objects.filter(pk=claim.pk).delete()
            raise
        return response

    return wrapper


def purge(now=None) -> int:
    deleted, _by_model = IdempotencyRecord.objects.filter(
        created_at__lt=(now or timezone.now()) - RETENTION
    ).delete()
    return deleted
