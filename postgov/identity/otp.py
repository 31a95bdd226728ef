"""Codes: authenticator apps (TOTP), printed backup codes and codes sent by SMS/e-mail.

Every code is compared in constant time, used once, and counted against attempts.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

import pyotp
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from postgov.identity.models import BackupCode, OneTimeCode, TotpDevice, User
from postgov.lib import ratelimit
from postgov.lib.sealing import keyed_hash, seal, unseal
from postgov.notify.actions import queue_message

TOTP_PURPOSE = "totp-secret"
BACKUP_PURPOSE = "backup-code"
OTC_PURPOSE = "one-time-code"
BACKUP_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i


class TooManyCodes(Exception):
    """Too many codes were sent recently to this account for this purpose."""


# -- authenticator apps ------------------------------------------------------------------
def new_totp_device(user: User, name: str, secret: str | None = None) -> TotpDevice:
    """An unconfirmed device; it counts only once a first code from it was accepted."""
    secret = secret or pyotp.random_base32()
    return TotpDevice.objects.create(
        user=user, name=name[:60] or "Authenticator", secret_sealed=seal(secret, TOTP_PURPOSE)
    )


def totp_secret(device: TotpDevice) -> str:
    return unseal(device.secret_sealed, TOTP_PURPOSE)


def provisioning_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(totp_secret(device)).provisioning_uri(
        name=device.user.get_username(), issuer_name="PostGov"
    )


def _clean(code: str) -> str:
    return "".join((code or "").split()).replace("-", "")[:32]


def _totp_step(device: TotpDevice, code: str) -> int | None:
    totp = pyotp.TOTP(totp_secret(device))
    now = timezone.now().timestamp()
    current = int(now // totp.interval)
    for step in (current - 1, current, current + 1):
        if constant_time_compare(totp.generate_otp(step), code):
            return step
    return None


@transaction.atomic
def verify_totp(user: User, code: str, *, device: TotpDevice | None = None) -> TotpDevice | None:
    """Accept a code from a confirmed device (or from `device` being confirmed), once."""
    code = _clean(code)
    if not code.isdigit() or len(code) != 6:
        return None
    devices = [device] if device else list(user.totp_devices.filter(confirmed_at__isnull=False))
    for candidate in devices:
        step = _totp_step(candidate, code)
        if step is None:
            continue
        # Conditional update: two concurrent uses of one code cannot both pass.
        now = timezone.now()
        updated = TotpDevice.objects.filter(pk=candidate.pk, last_step__lt=step).update(
            last_step=step, last_used_at=now
        )
        if updated:
            candidate.last_step, candidate.last_used_at = step, now
            return candidate
    return None


# -- backup codes ------------------------------------------------------------------------
@transaction.atomic
def new_backup_codes(user: User, count: int = 10) -> list[str]:
    """Replace the user's backup codes; the clear codes are shown once, never stored."""
    user.backup_codes.all().delete()
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(BACKUP_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        BackupCode.objects.create(user=user, code_hash=keyed_hash(raw, BACKUP_PURPOSE))
    return codes


def verify_backup_code(user: User, code: str) -> bool:
    raw = _clean(code).lower()
    if len(raw) != 10:
        return False
    digest = keyed_hash(raw, BACKUP_PURPOSE)
    return bool(
        BackupCode.objects.filter(user=user, code_hash=digest, used_at__isnull=True).update(
            used_at=timezone.now()
        )
    )


def backup_codes_left(user: User) -> int:
    return user.backup_codes.filter(used_at__isnull=True).count()


# -- codes sent by SMS or e-mail ---------------------------------------------------------
def _destination_allows_one_more(destination: str) -> bool:
    """At most IDENTITY_OTP_PER_DESTINATION_PER_HOUR codes to one number or address, for
    any account or none (the key reaches the cache only as a keyed hash)."""
    return ratelimit.hit(
        "otp-destination", destination, settings.IDENTITY_OTP_PER_DESTINATION_PER_HOUR, 3600
    )


def send_code(user: User, purpose: str, channel: str, destination: str) -> OneTimeCode:
    """Create a 6-digit code and queue it; at most IDENTITY_OTP_PER_HOUR per purpose, and
    IDENTITY_OTP_PER_DESTINATION_PER_HOUR to one destination."""
    since = timezone.now() - timedelta(hours=1)
    if (
        OneTimeCode.objects.filter(user=user, purpose=purpose, created_at__gte=since).count()
        >= settings.IDENTITY_OTP_PER_HOUR
    ):
        raise TooManyCodes
    if not _destination_allows_one_more(destination):
        raise TooManyCodes
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        # A new code replaces the older ones of the same purpose.
        OneTimeCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        row = OneTimeCode.objects.create(
            user=user,
            purpose=purpose,
            channel=channel,
            destination=destination,
            code_hash=keyed_hash(f"{user.pk}:{purpose}:{code}", OTC_PURPOSE),
            expires_at=timezone.now() + timedelta(seconds=settings.IDENTITY_OTP_TTL),
        )
        queue_message(
            channel,
            destination,
            "identity_code",
            {"code": code, "minutes": settings.IDENTITY_OTP_TTL // 60, "purpose": purpose},
            about=user,
            secrets=("code",),
        )
    return row


def check_code(user: User, purpose: str, code: str, *, destination: str | None = None) -> bool:
    """True once for the right code of the latest live code of that purpose."""
    code = _clean(code)
    row = (
        OneTimeCode.objects.filter(
            user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-created_at")
        .first()
    )
    if row is None or (destination is not None and row.destination != destination):
        return False
    if row.attempts >= settings.IDENTITY_OTP_MAX_ATTEMPTS:
        return False
    OneTimeCode.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)
    expected = keyed_hash(f"{user.pk}:{purpose}:{code}", OTC_PURPOSE)
    if not constant_time_compare(expected, row.code_hash):
        return False
    return bool(
        OneTimeCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now())
    )


def pending_destination(user: User, purpose: str) -> str | None:
    row = (
        OneTimeCode.objects.filter(
            user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-created_at")
        .first()
    )
    return row.destination if row else None


# -- codes for someone without an account yet (self-registration) -------------------------
def send_pending_code(purpose: str, channel: str, destination: str) -> dict:
    """Create a 6-digit code and queue it to `destination`; return what checks it (no
    code, only its keyed hash) for the caller to keep with the pending registration.
    Raises TooManyCodes past IDENTITY_OTP_PER_DESTINATION_PER_HOUR."""
    if not _destination_allows_one_more(destination):
        raise TooManyCodes
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_urlsafe(16)
    with transaction.atomic():
        queue_message(
            channel,
            destination,
            "identity_code",
            {"code": code, "minutes": settings.IDENTITY_OTP_TTL // 60, "purpose": purpose},
        )
    return {
        "salt": salt,
        "hash": keyed_hash(f"{salt}:{purpose}:{code}", OTC_PURPOSE),
        "destination": destination,
        "expires": int(time.time()) + settings.IDENTITY_OTP_TTL,
    }


def check_pending_code(pending: dict, purpose: str, code: str) -> bool:
    """True once for the right code of `pending` (from `send_pending_code`). Attempts
    are counted in the shared cache, not with the caller's copy: concurrent guesses all
    count, and at most IDENTITY_OTP_MAX_ATTEMPTS are ever compared."""
    code = _clean(code)
    salt = str(pending.get("salt") or "")
    if not salt or time.time() > pending.get("expires", 0):
        return False
    ttl = settings.IDENTITY_OTP_TTL + 60
    counter = f"otp-pending-attempts:{salt}"
    cache.add(counter, 0, timeout=ttl)
    try:
        attempts = cache.incr(counter)
    except ValueError:  # gone: the code has expired meanwhile
        return False
    if attempts > settings.IDENTITY_OTP_MAX_ATTEMPTS:
        return False
    expected = keyed_hash(f"{salt}:{purpose}:{code}", OTC_PURPOSE)
    if not constant_time_compare(expected, str(pending.get("hash") or "")):
        return False
    return cache.add(f"otp-pending-used:{salt}", 1, timeout=ttl)
