"""The commands of the systemd units in deploy/systemd, as a machine without systemd as PID 1
can start them: the ExecStart lines split as systemd splits them, with their Environment=,
the install directory (/opt/postgov) moved to a checkout.

Used by tests/test_deploy.py and bench/shape/run.py, so that what they start is what the
units start, not a copy of it.
"""

from __future__ import annotations

import re
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


def instance(template: Unit, name: str) -> Unit:
    """The unit of one instance of a template (`postgov-worker@.service` as
    `postgov-worker@name.service`): systemd's instance specifiers `%i` and `%I` replaced by
    the name (names of letters, digits, `-` and `_`, which systemd leaves unescaped)."""
    if "@." not in template.name:
        raise ValueError(f"{template.name} is not a template")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ValueError(f"{name!r}: an instance name needs no escaping here")
    prefix, _, suffix = template.name.partition("@")
    unit = Unit(f"{prefix}@{name}{suffix}")
    for section, keys in template.sections.items():
        unit.sections[section] = {
            key: [value.replace("%i", name).replace("%I", name) for value in values]
            for key, values in keys.items()
        }
    return unit


def _expand(argument: str, env: dict[str, str]) -> str:
    # `${NAME}` is one argument whatever it holds, as systemd expands it; a word that is
    # `$NAME` alone (split on spaces by systemd) is not used by our units.
    if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", argument):
        raise ValueError(f"{argument}: write ${{NAME}}")
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), argument)


def commands(
    unit: Unit,
    key: str = "ExecStart",
    root: Path | None = None,
    env: dict[str, str] | None = None,
) -> list[list[str]]:
    """The unit's ExecStart (or ExecStartPost...) lines as argument lists, with /opt/postgov
    replaced by `root` and `${NAME}` by the service's environment `env` (by default the
    unit's own Environment=). systemd's prefixes (`-`, `@`, `+`, `!`) are not used by our
    units."""
    out = []
    variables = environment(unit) if env is None else env
    for line in unit.values("Service", key):
        if line[:1] in "-@+!:":
            raise ValueError(f"{unit.name}: prefix {line[0]!r} is not handled")
        argv = [_expand(arg, variables) for arg in shlex.split(line)]
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


def environment_files(unit: Unit) -> list[tuple[str, bool]]:
    """The unit's EnvironmentFile= paths in order, each with whether it may be missing
    (systemd's `-` prefix)."""
    return [
        (line.removeprefix("-"), line.startswith("-"))
        for line in unit.values("Service", "EnvironmentFile")
    ]


def read_environment_file(path: Path) -> dict[str, str]:
    """KEY=value lines of an EnvironmentFile (comments and blank lines skipped)."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and line[0] not in "#;":
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def working_directory(unit: Unit, root: Path) -> Path:
    return Path(unit.value("Service", "WorkingDirectory", INSTALLED).replace(INSTALLED, str(root)))


def listen_address(socket_unit: Unit) -> tuple[str, int]:
    """ListenStream=host:port of a .socket unit."""
    host, _, port = socket_unit.value("Socket", "ListenStream").rpartition(":")
    return host or "0.0.0.0", int(port)  # noqa: S104 — what systemd does with a bare port
