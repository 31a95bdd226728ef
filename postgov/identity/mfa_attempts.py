"""How many wrong second factors an account may be given, whatever the session.

A six-digit code is guessed in about a million tries (three codes are valid at any
moment with the clock skew allowed), so the tries must be few. They are counted per
account in the database (`SecondFactorAttempts`): a correct password starts a new
pending login but never a new count, and a new session starts nothing either.

Every attempt takes its slot *before* the code is checked, by an update conditioned on
the count it read, so concurrent posts of one pending login cannot all see the same
count: at most one of them takes each slot, the others are refused unchecked. The first
IDENTITY_MFA_FREE_FAILURES slots are free; after that each failure makes the next
attempt wait (IDENTITY_MFA_BACKOFF_SECONDS, doubling); the IDENTITY_MFA_MAX_FAILURES-th
failure stops second-factor attempts for IDENTITY_MFA_STOP_SECONDS (or until an
administrator lifts the stop), tells the holder by SMS and e-mail and is audited.
A correct second factor resets the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from postgov.audit.actions import record
from postgov.identity.models import SecondFactorAttempts, User
from postgov.notify.actions import queue_message

MAX_BACKOFF_SECONDS = 60 * 60
LAST_SLOT_SECONDS = 60
_RACES = 5  # conditional updates lost to concurrent attempts before giving up


@dataclass(frozen=True)
class Slot:
    """An attempt that may be checked now; `number` counts failures since the last
    success, this attempt included."""

    number: int


@dataclass(frozen=True)
class Refusal:
    """No attempt now: wait `seconds`, or stopped (until `until`, or until lifted)."""

    stopped: bool
    seconds: int = 0
    until: datetime | None = None

    def message(self) -> str:
        if self.stopped and self.until is not None:
            local = timezone.localtime(self.until)
            return _(
                "Too many wrong second factors were given for this account: "
                "second-factor login is stopped until %(time)s. We have told the account "
                "holder. If it was not you, change your password."
            ) % {"time": date_format(local, "H:i d/m/Y")}
        if self.stopped:
            return _(
                "Too many wrong second factors were given for this account: "
                "second-factor login is stopped until an administrator lifts the stop."
            )
        if self.seconds >= 120:
            return _(
                "Too many wrong codes. Please wait %(minutes)s minutes before trying again."
            ) % {"minutes": (self.seconds + 59) // 60}
        return _("Too many wrong codes. Please wait %(seconds)s seconds before trying again.") % {
            "seconds": max(self.seconds, 1)
        }


def backoff_seconds(failures: int) -> int:
    """The wait after the `failures`-th failure in a row."""
    free = settings.IDENTITY_MFA_FREE_FAILURES
    if failures < free:
        return 0
    return min(settings.IDENTITY_MFA_BACKOFF_SECONDS * 2 ** (failures - free), MAX_BACKOFF_SECONDS)


def _row(user: User) -> SecondFactorAttempts:
    row, _created = SecondFactorAttempts.objects.get_or_create(user=user)
    return row


def status(user: User) -> Refusal | None:
    """Why no attempt would be taken now (without taking one), or None."""
    row = SecondFactorAttempts.objects.filter(user=user).first()
    if row is None:
        return None
    return _refusal(row, timezone.now())


def _refusal(row: SecondFactorAttempts, now: datetime) -> Refusal | None:
    if row.stopped_at is not None:
        if row.stopped_until is not None and row.stopped_until <= now:
            return None  # the stop has run out; the next slot starts a fresh count
        return Refusal(stopped=True, until=row.stopped_until)
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return Refusal(stopped=False, seconds=int((row.next_attempt_at - now).total_seconds()) + 1)
    return None


def take_slot(user: User) -> Slot | Refusal:
    """Count an attempt before it is checked, or say why there is none."""
    row = _row(user)
    for _attempt in range(_RACES):
        now = timezone.now()
        refusal = _refusal(row, now)
        if refusal is not None:
            return refusal
        unchanged = SecondFactorAttempts.objects.filter(
            pk=row.pk,
            failures=row.failures,
            stopped_at=row.stopped_at,
        ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        # An expired stop starts the count again from zero.
        number = 1 if row.stopped_at is not None else row.failures + 1
        wait = backoff_seconds(number)
        if number >= settings.IDENTITY_MFA_MAX_FAILURES:
            # The last slot: nothing else is checked while its outcome (the stop) is
            # being written, even when the backoff is configured away.
            wait = max(wait, LAST_SLOT_SECONDS)
        taken = unchanged.update(
            failures=number,
            next_attempt_at=now + timedelta(seconds=wait) if wait else None,
            stopped_at=None,
            stopped_until=None,
        )
        if taken:
            return Slot(number)
        row.refresh_from_db()
    return Refusal(stopped=False, seconds=1)


def succeeded(user: User) -> None:
    """A correct second factor: the count starts again."""
    SecondFactorAttempts.objects.filter(pk=user.pk, stopped_at__isnull=True).update(
        failures=0, next_attempt_at=None
    )


def failed(request, user: User, slot: Slot, method: str) -> Refusal | None:
    """A wrong second factor in `slot`: audited; the last slot stops attempts and tells
    the holder. Returns the stop when this failure caused it."""
    record(
        "auth.second_factor_failed",
        request=request,
        actor=user,
        obj=user,
        details={"method": method, "failures": slot.number},
    )
    if slot.number < settings.IDENTITY_MFA_MAX_FAILURES:
        return None
    return _stop(request, user)


@transaction.atomic
def _stop(request, user: User) -> Refusal | None:
    now = timezone.now()
    seconds = settings.IDENTITY_MFA_STOP_SECONDS
    until = now + timedelta(seconds=seconds) if seconds > 0 else None
    # Only the failure that filled the last slot stops (a success in between reset it).
    stopped = SecondFactorAttempts.objects.filter(
        pk=user.pk,
        stopped_at__isnull=True,
        failures__gte=settings.IDENTITY_MFA_MAX_FAILURES,
    ).update(stopped_at=now, stopped_until=until, next_attempt_at=until)
    if not stopped:
        return None
    record(
        "mfa.attempts_stopped",
        request=request,
        actor=user,
        obj=user,
        details={
            "failures": settings.IDENTITY_MFA_MAX_FAILURES,
            "until": until.isoformat() if until else None,
        },
    )
    _tell_holder(user, until)
    return Refusal(stopped=True, until=until)


def _tell_holder(user: User, until: datetime | None) -> None:
    context = {"until": date_format(timezone.localtime(until), "H:i d/m/Y") if until else ""}
    if user.phone and user.phone_verified_at:
        queue_message("sms", user.phone, "identity_second_factor_stopped", context, about=user)
    if user.email:
        queue_message("email", user.email, "identity_second_factor_stopped", context, about=user)


@transaction.atomic
def lift_stop(user: User, *, by: User | None = None, request=None) -> bool:
    """Let the account give second factors again at once (its holder was reached and the
    password changed, say). True when there was a stop or a count to lift."""
    lifted = (
        SecondFactorAttempts.objects.filter(pk=user.pk)
        .filter(Q(stopped_at__isnull=False) | Q(failures__gt=0))
        .update(failures=0, next_attempt_at=None, stopped_at=None, stopped_until=None)
    )
    if lifted:
        record("mfa.attempts_stop_lifted", request=request, actor=by, obj=user)
    return bool(lifted)
