"""The deployment files hold together: every long-running service of compose.yaml has a
health check, the one-shot steps are waited for, the image runs as a non-root user and
checks /healthz, the proxies never serve /metrics, the systemd units are valid and their
commands start, serve, work and stop."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django_tasks_db.models import DBTaskResult

from deploy import units

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
    # A template is verified as systemd instantiates it (`postgov-worker@i.service`).
    assert any(u.endswith("postgov-worker@.service") for u in units)
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


def test_the_worker_template_runs_the_single_worker_for_any_instance_or_its_queues(tmp_path):
    single = units.read("postgov-worker.service")
    template = units.read("postgov-worker@.service")
    # Each instance reads its own optional file after the shared one, as systemd does.
    assert units.environment_files(template) == [
        ("/etc/postgov/postgov.env", False),
        ("/etc/postgov/worker-%i.env", True),
    ]

    def command(name: str, instance_file: dict[str, str] | None = None) -> list[list[str]]:
        unit = units.instance(template, name)
        assert unit.name == f"postgov-worker@{name}.service"
        env = units.environment(unit)
        # Settings of an EnvironmentFile= override Environment= (systemd.exec).
        [(_shared, _), (own, optional)] = units.environment_files(unit)
        assert own == f"/etc/postgov/worker-{name}.env" and optional
        if instance_file is not None:
            path = tmp_path / Path(own).name
            path.write_text("".join(f"{k}={v}\n" for k, v in instance_file.items()))
            env.update(units.read_environment_file(path))
        return units.commands(unit, env=env)

    # An instance without a file of its own (postgov-worker@1, @2...) is the single worker.
    assert (
        command("1")
        == units.commands(single)
        == [
            ["/opt/postgov/.venv/bin/python", "manage.py", "db_worker"]
            + ["--queue-name", "*", "--interval", "1"]
        ]
    )
    # An instance named after a queue, with its file, takes that queue only.
    [notify] = command("notify", {"WORKER_QUEUES": "notify"})
    assert notify[notify.index("--queue-name") + 1] == "notify"
    # The rest of the service is the single worker's: user, environment, stop, hardening.
    for key, values in single.sections["Service"].items():
        if key not in {"ExecStart", "EnvironmentFile", "Environment"}:
            assert template.values("Service", key) == values, key
    assert set(units.environment(single).items()) <= set(units.environment(template).items())
    assert template.sections["Install"] == single.sections["Install"]
    with pytest.raises(ValueError, match="escaping"):
        units.instance(template, "a b")
    with pytest.raises(ValueError, match="not a template"):
        units.instance(single, "1")


# -- the systemd layout, started for real --------------------------------------------------
#
# systemd cannot run as PID 1 in the container this is tested in, so the units' own
# commands are started the way systemd would start them: each ExecStart line (read from
# the unit file by deploy/units.py), in its WorkingDirectory, with only the environment
# the unit gives it (Environment=, and EnvironmentFile= played by postgov.env.example with
# this test's database and secrets), the web behind its socket unit's listening socket
# through `systemd-socket-activate` (LISTEN_FDS, as postgov-web.socket hands it over).

# What systemd gives every service besides the unit's own variables.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _env_file() -> dict[str, str]:
    env = {}
    for line in (DEPLOY / "postgov.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    return env


@pytest.fixture
def unit_environment(tmp_path, settings):
    """/etc/postgov/postgov.env for this machine: the example with this test's database,
    secrets in files as production keeps them, no Redis (the cache in the database)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    secrets_dir = tmp_path / "etc"
    secrets_dir.mkdir()
    files = {
        "SECRET_KEY_FILE": "unit-test-secret-key-" + "x" * 40,
        "IDENTITY_SECRET_FILE": "unit-test-identity-secret-" + "y" * 40,
        # The key the test database's trail was chained with, so that audit_verify agrees.
        "AUDIT_CHAIN_KEY_FILE": " ".join(settings.AUDIT_CHAIN_KEYS),
    }
    env = _env_file()
    for name, value in files.items():
        path = secrets_dir / name.lower()
        path.write_text(value)
        path.chmod(0o600)
        env[name] = str(path)
    data = tmp_path / "data"
    data.mkdir()
    env.update(
        {
            "PATH": SYSTEMD_PATH,
            "DATABASE_URL": (
                f"postgres://{db.get('USER') or 'postgres'}{password}@"
                f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
            ),
            "POSTGOV_DATA_DIR": str(data),
            "REDIS_URL": "",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def _ask(port: int, path: str, host: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        # As nginx passes it on: the site's name, over TLS.
        conn.request("GET", path, headers={"Host": host, "X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen, timeout: float) -> int:
    # KillSignal=SIGTERM (systemd's default for the worker too).
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=timeout)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not shutil.which("systemd-socket-activate"), reason="systemd-socket-activate not installed"
)
def test_the_systemd_units_start_serve_work_and_stop(unit_environment, tmp_path):
    root = DEPLOY.parent
    host = unit_environment["ALLOWED_HOSTS"].split(",")[0]
    socket_unit = units.read("postgov-web.socket")
    listen_host, _ = units.listen_address(socket_unit)
    port = _free_port()  # the unit's own port, 8000, may be taken on a test machine

    web_unit = units.read("postgov-web.service")
    [web_command] = units.commands(web_unit, root=root)
    web_env = {**unit_environment, **units.environment(web_unit, runtime=tmp_path / "run")}
    activate = ["systemd-socket-activate", "--listen", f"{listen_host}:{port}"]
    activate += [f"--setenv={key}={value}" for key, value in web_env.items()]
    web = subprocess.Popen(  # noqa: S603 — the unit's own command
        [*activate, *web_command],
        cwd=units.working_directory(web_unit, root),
        env={"PATH": SYSTEMD_PATH},
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "web.log").open("wb"),
    )
    # A worker of the template, as a host with several runs each: the instance named after
    # the queue it takes, given in its own file (postgov-worker.service is the template's
    # instance without a file: test_the_worker_template_runs_the_single_worker_...).
    worker_unit = units.instance(units.read("postgov-worker@.service"), "default")
    own_file = tmp_path / "worker-default.env"
    own_file.write_text("WORKER_QUEUES=default\n")
    worker_env = {
        **units.environment(worker_unit),
        **unit_environment,
        **units.read_environment_file(own_file),
    }
    [worker_command] = units.commands(worker_unit, root=root, env=worker_env)
    assert worker_command[worker_command.index("--queue-name") + 1] == "default"
    worker = subprocess.Popen(  # noqa: S603 — the unit's own command
        worker_command,
        cwd=units.working_directory(worker_unit, root),
        env=worker_env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "worker.log").open("wb"),
    )
    try:
        # The socket is there before gunicorn: the first connection waits in its queue
        # while gunicorn starts on it.
        deadline = time.monotonic() + 120
        while True:
            try:
                status, _ = _ask(port, "/healthz", host)
                break
            except OSError:
                assert web.poll() is None, (tmp_path / "web.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "gunicorn did not answer on the socket"
                time.sleep(0.2)
        assert status == 200
        status, body = _ask(port, "/readyz", host)
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        # The metrics directory the unit names was made by gunicorn at start.
        assert (tmp_path / "run" / "postgov-web" / "prometheus").is_dir()

        # The worker takes what cron queues.
        queued = subprocess.run(  # noqa: S603
            [worker_command[0], "manage.py", "update_rollups", "--enqueue"],
            cwd=root,
            env=worker_env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert queued.returncode == 0
        deadline = time.monotonic() + 60
        while not DBTaskResult.objects.filter(status="SUCCESSFUL").exists():
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the worker ran nothing"
            time.sleep(0.2)
    finally:
        web_stopped = _stop(web, 30)
        worker_stopped = _stop(worker, 60)
    # A clean stop: gunicorn ends its workers, the worker finishes its task and ends.
    assert web_stopped == 0, (tmp_path / "web.log").read_text()[-3000:]
    assert worker_stopped == 0, (tmp_path / "worker.log").read_text()[-3000:]


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_backup_unit_backs_up_checks_the_trail_and_prunes(unit_environment, tmp_path):
    root = DEPLOY.parent
    unit = units.read("postgov-backup.service")
    backups = tmp_path / "backups"
    backups.mkdir()
    stale = backups / "postgov-20200101T013000Z"
    stale.mkdir()
    os.utime(stale, (0, 0))
    env = {**unit_environment, **units.environment(unit)}
    steps = units.commands(unit, root=root) + units.commands(unit, "ExecStartPost", root=root)
    assert [step[2] for step in steps[:2]] == ["backup", "audit_verify"]
    for step in steps:
        step = [arg.replace("/var/backups/postgov", str(backups)) for arg in step]
        done = subprocess.run(  # noqa: S603 — the unit's own commands
            step,
            cwd=units.working_directory(unit, root),
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, (step, done.stdout[-2000:], done.stderr[-2000:])
    # Tonight's backup is there with its manifest, the one older than 14 days is gone.
    [made] = list(backups.iterdir())
    assert made.name.startswith("postgov-") and made != stale
    assert (made / "manifest.json").exists()
