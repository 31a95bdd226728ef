"""Password rules of NIST SP 800-63B: length and a deny-list, no composition rules."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DENY_LIST = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"
MAX_LENGTH = 128


@functools.lru_cache(maxsize=1)
def _deny_list() -> frozenset[str]:
    with gzip.open(DENY_LIST, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def is_breached(password: str) -> bool:
    return password.strip().lower() in _deny_list()


class BreachedPasswordValidator:
    """Refuses passwords found in breach corpora and lists of common passwords."""

    def validate(self, password: str, user=None) -> None:
        if is_breached(password):
            raise ValidationError(
                _(
                    "This password is on a list of passwords that are common or have been "
                    "exposed in data breaches. Please choose another."
                ),
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return _("It must not be a common password or one exposed in a data breach.")


class MaximumLengthValidator:
    """Long passphrases are welcome; the ceiling only stops absurd inputs."""

    def validate(self, password: str, user=None) -> None:
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                _("Your password can have at most %(max)d characters.") % {"max": MAX_LENGTH},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("Use at least 8 characters; a phrase of several words is easy to remember.")
