"""The environment fails closed: a process nobody called "development" runs as production,
which refuses to start without its secrets and hosts; the demo (well-known passwords)
refuses to load outside development; production always sends HSTS.

Settings are read once per process, so the production cases start a fresh Python with
the environment under test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from postgov.identity.models import User

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "SECRET_KEY": "production-secret-key-" + "x" * 40,
    "IDENTITY_SECRET": "production-identity-secret-" + "y" * 40,
    "AUDIT_CHAIN_KEY": "production-audit-chain-key-" + "z" * 40,
    "ALLOWED_HOSTS": "dichvucong.example.vn",
    "SITE_URL": "https://dichvucong.example.vn",
}
READ_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
response = Client().get("/healthz", HTTP_HOST="dichvucong.example.vn")
print(json.dumps({
    "environment": settings.ENVIRONMENT,
    "debug": settings.DEBUG,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "hsts_header": response.headers.get("Strict-Transport-Security"),
    "secure_cookies": settings.SESSION_COOKIE_SECURE,
    "cookie_names": [settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME],
}))
"""


def run_python(code: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """A fresh interpreter with only the given PostGov variables (none inherited)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION
        and not k.startswith(("POSTGOV_", "DJANGO_", "AUDIT_", "SECRET_", "IDENTITY_"))
        and k not in {"DEBUG", "BEHIND_TLS_PROXY", "SITE_URL", "ALLOWED_HOSTS", "DATABASE_URL"}
    }
    full = {
        **clean,
        "DJANGO_SETTINGS_MODULE": "postgov.settings",
        "POSTGOV_DATA_DIR": str(tmp_path),
        **env,
    }
    return subprocess.run(  # noqa: S603 — our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_suite_itself_says_development_before_settings_are_read():
    assert os.environ["POSTGOV_ENV"] == "development"
    assert settings.ENVIRONMENT == "development" and settings.DEV


def test_without_postgov_env_the_process_is_production_and_refuses_to_start(tmp_path):
    result = run_python(READ_SETTINGS, {}, tmp_path)
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in message
    assert "POSTGOV_ENV is not set, so PostGov runs as production" in message
    for name in ("SECRET_KEY", "IDENTITY_SECRET", "AUDIT_CHAIN_KEY", "ALLOWED_HOSTS", "SITE_URL"):
        assert name in message
    assert "POSTGOV_ENV=development" in message  # what a developer should do instead
    assert not (tmp_path / ".secret_key").exists()  # no secret was made up


def test_production_runs_once_everything_is_given_and_always_sends_hsts(tmp_path):
    # No BEHIND_TLS_PROXY: HSTS must not depend on the operator declaring the proxy.
    result = run_python(READ_SETTINGS, PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["environment"] == "production" and seen["debug"] is False
    assert seen["hsts"] >= 31536000 and seen["secure_cookies"] is True
    assert seen["hsts_header"] == f"max-age={seen['hsts']}"
    # Secure cookies bound to this host: a sibling subdomain cannot plant or replace them.
    assert all(name.startswith("__Host-") for name in seen["cookie_names"])


def test_production_refuses_debug_and_short_audit_keys(tmp_path):
    debug = run_python(READ_SETTINGS, {**PRODUCTION, "DEBUG": "true"}, tmp_path)
    assert debug.returncode != 0 and "DEBUG is refused in production" in debug.stderr
    short = run_python(READ_SETTINGS, {**PRODUCTION, "AUDIT_CHAIN_KEY": "short"}, tmp_path)
    assert short.returncode != 0 and "AUDIT_CHAIN_KEY" in short.stderr


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/healthz")


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["load_demo", "demo_logins"])
def test_demo_commands_refuse_outside_development(settings, command):
    settings.DEV = False
    settings.ENVIRONMENT = "production"
    with pytest.raises(CommandError, match="demo .* is for development only"):
        call_command(command)
    assert not User.objects.filter(username="gdv.donghoi").exists()
