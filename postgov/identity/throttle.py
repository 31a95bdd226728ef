"""Login throttling that slows attackers without locking real users out.

Each failed password or code is counted against the account and the client it came
from. The client is the address, with IPv6 counted by /64 (one home or phone holds a
whole /64 and may rotate through it), or a *known device*: a browser that completed a
login for this account before carries a signed cookie naming the accounts it logged in.

Past a free allowance each further failure doubles the wait before the next attempt
(up to LOGIN_THROTTLE_MAX_DELAY), in three scopes:
- account and client (LOGIN_THROTTLE_PAIR_FREE): someone guessing one account;
- client, across accounts (LOGIN_THROTTLE_ADDRESS_FREE): a sprayer;
- account, across clients (LOGIN_THROTTLE_ACCOUNT_FREE): a guesser spread over many
  addresses.
A known device is slowed only by its own failures for that account: neither an attacker
elsewhere nor colleagues mistyping behind the same post-office NAT make its owner wait.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from postgov.audit.actions import client_ip
from postgov.identity.models import LoginFailure
from postgov.lib.netkeys import network_key
from postgov.lib.text import fold

# The __Host- prefix (Secure, this host, path "/") whenever cookies are secure.
DEVICE_COOKIE = "__Host-postgov_device" if settings.SESSION_COOKIE_SECURE else "postgov_device"
DEVICE_SALT = "postgov.identity.known-device"
DEVICE_ACCOUNTS = 20  # a shared counter PC remembers this many of its last accounts
_ACCOUNT_TAG = 24  # hex digits of the account hash kept in the cookie


def _username_hash(username: str) -> str:
    return hashlib.sha256(fold(username).encode()).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """One login attempt for an account: who it is for and where it comes from."""

    account: str  # the folded account name, hashed
    network: str  # the address, or its /64
    device: str = ""  # the known device's id, when it completed a login for the account

    @property
    def client(self) -> str:
        return f"device:{self.device}" if self.device else self.network


def _device(request: HttpRequest) -> dict | None:
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = signing.loads(
            raw, salt=DEVICE_SALT, max_age=timedelta(days=settings.LOGIN_KNOWN_DEVICE_DAYS)
        )
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), str):
        return None
    accounts = data.get("a")
    if not isinstance(accounts, list):
        return None
    return {"d": data["d"][:32], "a": [a for a in accounts if isinstance(a, str)]}


def attempt(request: HttpRequest, username: str) -> Attempt:
    account = _username_hash(username)
    device = _device(request)
    known = device is not None and account[:_ACCOUNT_TAG] in device["a"]
    return Attempt(
        account=account,
        # Without an address (a test client, a misconfigured proxy) every such attempt
        # shares one key rather than escaping the throttle.
        network=network_key(client_ip(request)) or "0.0.0.0",  # noqa: S104  (a key)
        device=device["d"] if known and device is not None else "",
    )


def keyed(name: str, address: str | None) -> Attempt:
    """An attempt of another throttled flow (account recovery...), keyed by a name of its
    own and the address, without known devices."""
    return Attempt(account=_username_hash(name), network=network_key(address) or "0.0.0.0")  # noqa: S104


def _as_attempt(attempt: Attempt | str, address: str | None) -> Attempt:
    return attempt if isinstance(attempt, Attempt) else keyed(attempt, address)


def _wait(rows: QuerySet, free: int) -> int:
    seen = rows.aggregate(count=Count("id"), last=Max("at"))
    if seen["count"] < free or seen["last"] is None:
        return 0
    delay = min(2 ** (seen["count"] - free), settings.LOGIN_THROTTLE_MAX_DELAY)
    elapsed = (timezone.now() - seen["last"]).total_seconds()
    return max(0, int(delay - elapsed + 0.999))


def seconds_to_wait(attempt: Attempt | str, address: str | None = None) -> int:
    """How long this attempt (or a name and an address, see `keyed`) must wait before
    it is checked at all."""
    attempt = _as_attempt(attempt, address)
    since = timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW)
    recent = LoginFailure.objects.filter(at__gte=since)
    pair = _wait(
        recent.filter(username_hash=attempt.account, client=attempt.client),
        settings.LOGIN_THROTTLE_PAIR_FREE,
    )
    if attempt.device:
        return pair
    return max(
        pair,
        _wait(recent.filter(client=attempt.client), settings.LOGIN_THROTTLE_ADDRESS_FREE),
        _wait(recent.filter(username_hash=attempt.account), settings.LOGIN_THROTTLE_ACCOUNT_FREE),
    )


def record_failure(attempt: Attempt | str, address: str | None = None) -> None:
    attempt = _as_attempt(attempt, address)
    now = timezone.now()
    LoginFailure.objects.create(username_hash=attempt.account, client=attempt.client, at=now)
    # Keep the table small: failures older than the window no longer count.
    LoginFailure.objects.filter(
        at__lt=now - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW)
    ).delete()


def clear_failures(attempt: Attempt | str, address: str | None = None) -> None:
    attempt = _as_attempt(attempt, address)
    LoginFailure.objects.filter(username_hash=attempt.account, client=attempt.client).delete()


def remember_device(request: HttpRequest, response: HttpResponse, username: str) -> None:
    """After a completed login: this browser is a known device of the account from now on
    (the cookie is signed anew, so it lasts LOGIN_KNOWN_DEVICE_DAYS from the last login)."""
    device = _device(request) or {"d": secrets.token_urlsafe(16), "a": []}
    tag = _username_hash(username)[:_ACCOUNT_TAG]
    accounts = [tag, *(a for a in device["a"] if a != tag)][:DEVICE_ACCOUNTS]
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps({"d": device["d"], "a": accounts}, salt=DEVICE_SALT, compress=True),
        max_age=settings.LOGIN_KNOWN_DEVICE_DAYS * 24 * 60 * 60,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
