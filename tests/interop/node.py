"""The node project in tests/oidc (panva's openid-client and oidc-provider).

Installed once from its lock file (`npm ci`); skipped with a reason when node or npm is
missing, except under CI=true where that is a failure (see conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "oidc"
IN_CI = os.environ.get("CI", "").lower() == "true"
_lock = threading.Lock()


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this is a failure, not a skip)")
    pytest.skip(reason)


def node_project() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        _missing("node and npm are needed for the OpenID interoperability tests")
    with _lock:
        if (
            not (ROOT / "node_modules" / "openid-client").exists()
            or not (ROOT / "node_modules" / "oidc-provider").exists()
        ):
            result = subprocess.run(  # noqa: S603
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
            )
            if result.returncode != 0:
                _missing(f"npm ci failed in tests/oidc: {result.stderr[-500:]}")
    return ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NodeProcess:
    """A node script speaking JSON lines on stdin/stdout."""

    def __init__(self, script: str, *args: str):
        self.proc = subprocess.Popen(  # noqa: S603
            [shutil.which("node"), script, *args],
            cwd=node_project(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def read_line(self, timeout: float = 30) -> str:
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()))
        reader.start()
        reader.join(timeout)
        if not result or not result[0]:
            self.stop()
            raise AssertionError(
                "node said nothing; stderr: " + (self.proc.stderr.read() or "")[-2000:]
            )
        return result[0].strip()

    def read_json(self, timeout: float = 30) -> dict:
        return json.loads(self.read_line(timeout))

    def send(self, obj: dict) -> None:
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
