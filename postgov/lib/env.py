"""Typed readers of environment variables that fail loudly.

A misspelt boolean or a missing production secret must stop the process at start-up,
not surface later as a silent default.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from postgov.lib.outbound import configuration_problem

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} is required.")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, *, dev_file: Path | None = None, dev_default: str | None = None) -> str:
    """A secret from `NAME`, or from the file named by `NAME_FILE`.

    With `dev_file` (development only), a random secret is generated once into that
    git-ignored file so a fresh checkout runs without set-up; with `dev_default`
    (development only), that fixed value is used instead.
    """
    value = os.environ.get(name)
    if value:
        return value
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
        if not value:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} is empty.")
        return value
    if dev_default is not None:
        return dev_default
    if dev_file is None:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE.")
    if not dev_file.exists():
        dev_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        dev_file.chmod(0o600)
    return dev_file.read_text(encoding="utf-8").strip()


def env_outbound_url(name: str, default: str, *, allow_private: bool) -> str:
    """A URL the server will send requests to: one that every request would refuse
    (http in production, a private address written as such) stops the process now."""
    value = env_str(name, default).strip()
    if value:
        problem = configuration_problem(value, allow_private=allow_private)
        if problem:
            raise ImproperlyConfigured(f"{name}={value!r}: {problem}.")
    return value


def require_for_production(*, secrets: tuple[str, ...], values: tuple[str, ...]) -> None:
    """Stop a production process that lacks any of these, naming every one at once (a
    secret may come from `NAME` or `NAME_FILE`), and say why it runs as production."""
    missing = [
        f"{name} or {name}_FILE"
        for name in secrets
        if not (os.environ.get(name) or os.environ.get(f"{name}_FILE"))
    ]
    missing += [name for name in values if not os.environ.get(name, "").strip()]
    if not missing:
        return
    if os.environ.get("POSTGOV_ENV"):
        why = "POSTGOV_ENV=production"
    else:
        why = "POSTGOV_ENV is not set, so PostGov runs as production"
    raise ImproperlyConfigured(
        f"{why}: set {', '.join(missing)}. On a developer's machine set "
        "POSTGOV_ENV=development (`make run` and the tests do)."
    )
