"""The commands of the systemd units in deploy/systemd, as a machine without systemd as PID 1
can start them: the ExecStart lines split as systemd splits them, with their Environment=,
the install directory (/opt/postgov) moved to a checkout.

Used by tests/test_deploy.py and bench/shape/run.py, so that what they start is what the
units start, not a copy of it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

SYSTEMD = Path(__file__).resolve().parent / "systemd"
INSTALLED = "/opt/postgov"


@dataclass
class Unit:
    name: str
    # [Section] -> key -> every value given (a key may repeat: ExecStart of a oneshot).
    sections: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def values(self, section: str, key: str) -> list[str]:
        return self.sections.get(section, {}).get(key, [])

    def value(self, section: str, key: str, default: str = "") -> str:
        values = self.values(section, key)
        return values[-1] if values else default


def read(name: str) -> Unit:
    """One unit file of deploy/systemd (comments and blank lines skipped, continuation lines
    joined)."""
    unit = Unit(name)
    section = ""
    text = (SYSTEMD / name).read_text().replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        unit.sections.setdefault(section, {}).setdefault(key.strip(), []).append(value.strip())
    return unit


def commands(unit: Unit, key: str = "ExecStart", root: Path | None = None) -> list[list[str]]:
    """The unit's ExecStart (or ExecStartPost...) lines as argument lists, with /opt/postgov
    replaced by `root`. systemd's prefixes (`-`, `@`, `+`, `!`) are not used by our units."""
    out = []
    for line in unit.values("Service", key):
        if line[:1] in "-@+!:":
            raise ValueError(f"{unit.name}: prefix {line[0]!r} is not handled")
        argv = shlex.split(line)
        if root is not None:
            argv = [arg.replace(INSTALLED, str(root)) for arg in argv]
        out.append(argv)
    return out


def environment(unit: Unit, runtime: Path | None = None) -> dict[str, str]:
    """The unit's Environment= assignments; /run/ (systemd's RuntimeDirectory) moved to
    `runtime` when given."""
    env = {}
    for line in unit.values("Service", "Environment"):
        for assignment in shlex.split(line):
            key, _, value = assignment.partition("=")
            if runtime is not None and value.startswith("/run/"):
                value = str(runtime / value.removeprefix("/run/"))
            env[key] = value
    return env


def working_directory(unit: Unit, root: Path) -> Path:
    return Path(unit.value("Service", "WorkingDirectory", INSTALLED).replace(INSTALLED, str(root)))


def listen_address(socket_unit: Unit) -> tuple[str, int]:
    """ListenStream=host:port of a .socket unit."""
    host, _, port = socket_unit.value("Socket", "ListenStream").rpartition(":")
    return host or "0.0.0.0", int(port)  # noqa: S104 — what systemd does with a bare port
