"""Practice work: whether a request is a trainee's practice at the real counter screens.

The training app (above this one) opens and closes a trainee's practice by writing the
class's id under `SESSION_KEY` and checks on every request that the class is still open;
this app only reads it, so intake marks what it creates as practice (decision 0019)."""

from __future__ import annotations

SESSION_KEY = "practice_class"

# The numbers a practice seal takes: their own series, never an agency's code.
CODE_PREFIX = "TR"


def practice_class(request) -> int | None:
    """The training class whose practice this request is, or None for real work."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    value = session.get(SESSION_KEY)
    return value if isinstance(value, int) else None


def in_practice(request) -> bool:
    return practice_class(request) is not None
