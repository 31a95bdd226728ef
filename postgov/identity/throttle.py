"""Login throttling that slows attackers without locking real users out.

Failures are counted per (account, address) and per address. Past a free allowance each
further failure doubles the wait before the next attempt from that pair (or address),
up to a ceiling. The real owner of an account, on another address, is not slowed by an
attacker guessing from elsewhere; a sprayer trying many accounts from one address is.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from postgov.identity.models import LoginFailure
from postgov.lib.text import fold


def _username_hash(username: str) -> str:
    return hashlib.sha256(fold(username).encode()).hexdigest()


def _wait(count: int, free: int, last_at) -> int:
    if count < free or last_at is None:
        return 0
    delay = min(2 ** (count - free), settings.LOGIN_THROTTLE_MAX_DELAY)
    elapsed = (timezone.now() - last_at).total_seconds()
    return max(0, int(delay - elapsed + 0.999))


def seconds_to_wait(username: str, address: str) -> int:
    """How long this (account, address) must wait before its next attempt is checked."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW)
    recent = LoginFailure.objects.filter(at__gte=since, address=address)
    pair = recent.filter(username_hash=_username_hash(username))
    pair_last = pair.order_by("-at").values_list("at", flat=True).first()
    address_last = recent.order_by("-at").values_list("at", flat=True).first()
    return max(
        _wait(pair.count(), settings.LOGIN_THROTTLE_PAIR_FREE, pair_last),
        _wait(recent.count(), settings.LOGIN_THROTTLE_ADDRESS_FREE, address_last),
    )


def record_failure(username: str, address: str) -> None:
    now = timezone.now()
    LoginFailure.objects.create(username_hash=_username_hash(username), address=address, at=now)
    # Keep the table small: failures older than the window no longer count.
    LoginFailure.objects.filter(
        at__lt=now - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW)
    ).delete()


def clear_failures(username: str, address: str) -> None:
    LoginFailure.objects.filter(username_hash=_username_hash(username), address=address).delete()
