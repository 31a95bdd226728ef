"""The deployment files hold together: every long-running service of compose.yaml has a
health check, the one-shot steps are waited for, the image runs as a non-root user and
checks /healthz, the proxies never serve /metrics, the systemd units are valid."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
# Steps that run once and end; the others wait for them to end well.
ONE_SHOT = {"certs", "migrate", "backup"}
APP_SERVICES = {"certs", "migrate", "web", "worker", "backup"}


def test_every_long_running_service_has_a_health_check():
    assert set(SERVICES) == ONE_SHOT | {"db", "redis", "web", "worker", "nginx"}
    for name, service in SERVICES.items():
        if name in ONE_SHOT:
            assert service["restart"] == "no", name
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"}, f"{name} has no health check"


def test_the_web_is_ready_before_nginx_and_migrations_run_first():
    assert "/readyz" in SERVICES["web"]["healthcheck"]["test"]
    assert SERVICES["nginx"]["depends_on"]["web"] == {"condition": "service_healthy"}
    for name in ("web", "worker"):
        assert SERVICES[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert "migrate" in " ".join(SERVICES["migrate"]["command"])
    assert SERVICES["web"]["deploy"]["replicas"] >= 2
    assert SERVICES["db"]["image"].startswith("postgres:15")


def test_the_app_services_run_the_image_as_its_own_user_with_secrets_from_files():
    for name in APP_SERVICES:
        service = SERVICES[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert str(service.get("user", "postgov")) not in {"root", "0", "0:0"}, name
        environment = service["environment"]
        for secret in ("SECRET_KEY", "IDENTITY_SECRET", "AUDIT_CHAIN_KEY", "METRICS_TOKEN"):
            assert environment[f"{secret}_FILE"].startswith("/run/secrets/"), name
            assert secret not in environment
    script = (DEPLOY / "compose-secrets.sh").read_text()
    for secret in COMPOSE["secrets"]:
        assert secret in script, f"compose-secrets.sh does not make {secret}"


def _runtime_stage() -> list[str]:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    # Continuation lines joined: one instruction a line.
    lines = [ln for ln in dockerfile.replace("\\\n", " ").splitlines() if ln and ln[0] != "#"]
    stages = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(stages) == 2, "a builder stage and a runtime stage"
    return lines[stages[-1] :]


def test_the_image_runs_as_a_non_root_user_and_checks_healthz():
    runtime = _runtime_stage()
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    [healthcheck] = [line for line in runtime if line.startswith("HEALTHCHECK ")]
    assert "/healthz" in healthcheck
    installs = " ".join(line for line in runtime if "apt-get install" in line)
    for package in (
        "tesseract-ocr-vie",
        "ocrmypdf",
        "unpaper",
        "poppler-utils",
        "postgresql-client",
    ):
        assert package in installs
    assert any("collectstatic" in line for line in runtime)
    assert any("COPY --from=builder /opt/venv" in line for line in runtime)


@pytest.mark.parametrize("conf", ["nginx.conf", "compose/nginx.conf"])
def test_the_proxies_never_serve_metrics_and_pass_a_request_id(conf):
    text = (DEPLOY / conf).read_text()
    assert re.search(r"location = /metrics \{\s*return 404;", text)
    assert "proxy_set_header X-Request-ID $request_id;" in text
    assert "ssl_certificate_key" in text


def test_the_self_signed_certificate_is_made_once(tmp_path):
    spec = importlib.util.spec_from_file_location("selfsigned", DEPLOY / "selfsigned_cert.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.make(tmp_path, "postgov.example") is True
    assert (tmp_path / "privkey.pem").stat().st_mode & 0o077 == 0
    assert (tmp_path / "fullchain.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert module.make(tmp_path, "postgov.example") is False


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_the_systemd_units_are_valid():
    units = sorted(str(p) for p in (DEPLOY / "systemd").iterdir())
    assert any(u.endswith("postgov-backup.timer") for u in units)
    assert any(u.endswith("postgov-web.socket") for u in units)
    result = subprocess.run(  # noqa: S603 — a fixed tool reading our own files
        ["systemd-analyze", "verify", *units],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    # This machine has no /opt/postgov: only that may be missing.
    problems = [
        line for line in result.stderr.splitlines() if line.strip() and "/opt/postgov/" not in line
    ]
    assert problems == []
