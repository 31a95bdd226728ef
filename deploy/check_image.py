#!/usr/bin/env python3
"""The container image's steps, on a machine where no container runtime runs: each step of
deploy/Dockerfile, read from the file, done in a temporary directory instead of an image.

1. The runtime stage's Debian packages: `apt-get install --simulate` of the same list
   (the distribution of the image, Debian 12, must be the one of this machine).
2. The builder stage: a fresh virtualenv and the same `pip install -r requirements.lock`.
3. The runtime stage: the build context as `COPY . /srv/postgov` takes it (.dockerignore
   applied), then each command of its RUN lines (collectstatic with the build-only
   secrets, compileall, the data directories) with the image's paths moved into the
   temporary directory. Creating the user and `chown` are left out (they change this
   machine); instead, when run as root, the server is started as an unprivileged user.
4. `manage.py check --deploy` with the image's environment (production).
5. The CMD (gunicorn) with the image's environment, and the HEALTHCHECK's command against
   it; with `--database URL` (an empty PostgreSQL database), compose's `migrate` step first,
   then the web's health check (`/readyz`) and the worker's (`database`) too.

Usage: python3 deploy/check_image.py [--database postgres://.../empty_db] [--keep]
Exits 0 when every step passed. Takes minutes (step 2 installs every locked package).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What systemd-less commands share with the image: the system's own tools.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Commands of RUN lines that change the machine they run on: checked by reading only.
SYSTEM_COMMANDS = ("apt-get", "rm -rf /var/lib/apt", "groupadd", "useradd", "chown")


class Stage:
    def __init__(self, name: str, base: str):
        self.name, self.base = name, base
        self.env: dict[str, str] = {}
        self.runs: list[str] = []
        self.instructions: list[tuple[str, str]] = []


def stages(dockerfile: Path) -> list[Stage]:
    text = dockerfile.read_text().replace("\\\n", " ")
    out: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            parts = rest.split()
            out.append(Stage(parts[2] if len(parts) > 2 else str(len(out)), parts[0]))
            continue
        stage = out[-1]
        stage.instructions.append((word, rest.strip()))
        if word == "ENV":
            for assignment in shlex.split(rest):
                key, _, value = assignment.partition("=")
                stage.env[key] = value
        elif word == "RUN":
            stage.runs.append(rest.strip())
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Check:
    def __init__(self, work: Path):
        self.work = work
        self.venv = work / "opt" / "venv"
        self.srv = work / "srv" / "postgov"
        self.failures: list[str] = []

    def moved(self, text: str) -> str:
        """The image's absolute paths, inside the temporary directory."""
        for path in ("/opt/venv", "/srv/postgov", "/var/lib/postgov", "/var/backups/postgov"):
            text = text.replace(path, str(self.work) + path)
        return text

    def step(self, title: str, argv: list[str] | str, env: dict, cwd: Path, timeout=1800):
        started = time.monotonic()
        shell = isinstance(argv, str)
        done = subprocess.run(  # noqa: S603 — the Dockerfile's own commands
            argv,
            shell=shell,  # noqa: S604 — a RUN line is a shell command
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        took = time.monotonic() - started
        status = "ok" if done.returncode == 0 else f"FAILED ({done.returncode})"
        print(f"[{status}] {title} ({took:.0f} s)", flush=True)
        if done.returncode:
            print((done.stdout + done.stderr)[-3000:], flush=True)
            self.failures.append(title)
        return done


def build_context(target: Path) -> None:
    """`COPY . /srv/postgov` with .dockerignore's patterns left out."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(directory: str, names: list[str]) -> list[str]:
        relative = Path(directory).relative_to(ROOT)
        out = []
        for name in names:
            path = str(relative / name) if str(relative) != "." else name
            if any(
                fnmatch.fnmatch(path, p)
                or fnmatch.fnmatch(path, p.removeprefix("**/"))
                or fnmatch.fnmatch(name, p.removeprefix("**/"))
                for p in patterns
            ):
                out.append(name)
        return out

    shutil.copytree(ROOT, target, ignore=ignored, symlinks=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="an empty PostgreSQL database's URL")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--venv",
        default="",
        help="a virtualenv already made by this script's builder step (step 2 is skipped)",
    )
    args = parser.parse_args()

    builder, runtime = stages(ROOT / "deploy" / "Dockerfile")
    work = Path(tempfile.mkdtemp(prefix="postgov-image-"))
    check = Check(work)
    base = {"PATH": SYSTEM_PATH, "HOME": str(work), "LANG": "C.UTF-8"}
    print(f"working in {work}", flush=True)

    # 1. The Debian packages of the runtime stage.
    [install] = [run for run in runtime.runs if "apt-get install" in run]
    packages = [
        word
        for word in install.split("apt-get install", 1)[1].split("&&")[0].split()
        if not word.startswith("-")
    ]
    check.step(
        f"runtime: apt-get install --simulate {' '.join(packages)}",
        ["apt-get", "install", "--simulate", "--no-install-recommends", "-y", *packages],
        base,
        work,
    )

    # 2. The builder stage.
    python = f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert builder.base.startswith(f"python:{python.removeprefix('python')}"), builder.base
    (work / "tmp").mkdir()
    shutil.copy(ROOT / "requirements.lock", work / "tmp" / "requirements.lock")
    builder_env = {**base, **builder.env}
    if args.venv:
        check.venv.parent.mkdir(parents=True)
        check.venv.symlink_to(Path(args.venv).resolve())
        print(f"[skipped] builder: the virtualenv {args.venv} is used", flush=True)
    for run in builder.runs if not args.venv else []:
        # The image's path, moved here like the others.
        lock = "/tmp/requirements.lock"  # noqa: S108
        command = run.replace(lock, str(work / "tmp" / "requirements.lock"))
        command = check.moved(command).replace("python -m venv", f"{python} -m venv")
        check.step(f"builder: {run}", command, builder_env, work)
    if check.failures:
        return 1

    # 3. The runtime stage.
    build_context(check.srv)
    runtime_env = {**base, **{k: check.moved(v) for k, v in runtime.env.items()}}
    runtime_env["PATH"] = f"{check.venv}/bin:{SYSTEM_PATH}"
    for run in runtime.runs:
        for part in (p.strip() for p in run.split("&&")):
            if part.startswith(SYSTEM_COMMANDS):
                continue
            check.step(f"runtime: {part[:90]}", check.moved(part), runtime_env, check.srv)
    # STATIC_ROOT is the data directory's static/ (settings), inside the image.
    manifest = Path(runtime_env["POSTGOV_DATA_DIR"]) / "static" / "staticfiles.json"
    if manifest.exists():
        print(f"[ok] collectstatic wrote {manifest.relative_to(work)}", flush=True)
    else:
        check.failures.append("collectstatic left no manifest")
        print(f"[FAILED] no {manifest}", flush=True)

    # 4. The production checks, with the image's environment and throw-away secrets.
    serve_env = {
        **runtime_env,
        "SECRET_KEY": "image-check-" + "k" * 50,
        "IDENTITY_SECRET": "image-check-" + "i" * 40,
        "AUDIT_CHAIN_KEY": "image-check-" + "a" * 40,
        "ALLOWED_HOSTS": "localhost",
        "SITE_URL": "https://localhost",
        "CSRF_TRUSTED_ORIGINS": "https://localhost",
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
        "GUNICORN_WORKERS": "2",
    }
    if args.database:
        serve_env["DATABASE_URL"] = args.database
    for key in ("MEDIA_ROOT", "POSTGOV_DATA_DIR"):
        Path(serve_env[key]).mkdir(parents=True, exist_ok=True)
    python_bin = str(check.venv / "bin" / "python")
    # Errors fail; the warnings are printed (some are choices: nginx redirects to https).
    done = check.step(
        "manage.py check --deploy",
        [python_bin, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        serve_env,
        check.srv,
    )
    for line in (done.stdout + done.stderr).splitlines():
        if line.startswith("?: ("):
            print(f"    warning {line[3:]}", flush=True)
    if args.database:
        check.step(
            "compose's migrate step: migrate --noinput && createcachetable",
            "python manage.py migrate --noinput && python manage.py createcachetable",
            serve_env,
            check.srv,
        )

    # 5. The CMD and the HEALTHCHECK, as the image's user would: not root.
    [cmd] = [rest for word, rest in runtime.instructions if word == "CMD"]
    [health] = [rest for word, rest in runtime.instructions if word == "HEALTHCHECK"]
    command = json.loads(cmd)
    probe = json.loads(health.split("CMD", 1)[1].strip())
    demote = None
    # A virtualenv given with --venv may use an interpreter the unprivileged user cannot
    # reach (under /root): then the server runs as this user.
    if os.geteuid() == 0 and not args.venv:
        nobody = pwd.getpwnam("nobody")
        for key in ("MEDIA_ROOT", "POSTGOV_DATA_DIR"):
            shutil.chown(serve_env[key], nobody.pw_uid, nobody.pw_gid)
        for directory in (work, work / "srv", check.srv, work / "opt"):
            directory.chmod(0o755)

        def demote() -> None:
            os.setgid(nobody.pw_gid)
            os.setgroups([])
            os.setuid(nobody.pw_uid)

    server = subprocess.Popen(  # noqa: S603 — the image's CMD
        command,
        cwd=check.srv,
        env=serve_env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "gunicorn.log").open("wb"),
        preexec_fn=demote,  # noqa: PLW1509 — nothing else runs threads here
    )
    try:
        probes = [probe] + (
            [[*probe[:-1], "/readyz"], [*probe[:-1], "database"]] if args.database else []
        )
        for argv in probes:
            deadline = time.monotonic() + 180
            while True:
                done = subprocess.run(  # noqa: S603
                    argv, cwd=check.srv, env=serve_env, capture_output=True, check=False
                )
                if done.returncode == 0 or time.monotonic() > deadline or server.poll():
                    break
                time.sleep(1)
            status = "ok" if done.returncode == 0 else "FAILED"
            print(f"[{status}] HEALTHCHECK {' '.join(argv)}", flush=True)
            if done.returncode:
                check.failures.append(" ".join(argv))
                print((work / "gunicorn.log").read_text()[-3000:])
    finally:
        server.terminate()
        server.wait(timeout=60)
    user = "nobody" if demote else "this user"
    print(f"gunicorn ran as {user}; stopped with {server.returncode}", flush=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("every step passed" if not check.failures else f"failed: {check.failures}")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
