#!/usr/bin/env python
"""Which app of `postgov` imports which: the dependency picture of docs/architecture.md.

Reads the source (no Django needed) and counts, for each pair of apps, the modules of one
that import the other, at the top of the module or inside a function (an import inside a
function usually hides a cycle). Imports for type annotations only are left out, and so are
tests and migrations: they may import anything. Pairs that import each other are listed
as cycles.

Usage: bin/app_imports.py [--markdown]
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "postgov"
# The project package's own modules (settings, URLs, the API aggregator...) are "postgov".
PROJECT = "postgov"


def app_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "postgov":
        return None
    if len(parts) > 1 and (parts[1] == "lib" or (PACKAGE / parts[1] / "apps.py").exists()):
        return parts[1]
    return PROJECT


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.Module, this: str):
    """(module, inside a function?) for every import of the module's tree. Imports under
    `if TYPE_CHECKING:` are for annotations only and are left out."""
    top = set(map(id, tree.body))
    typing_only = {
        id(child)
        for node in tree.body
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = this.split(".")[: -node.level]
                names = [".".join([*base, node.module] if node.module else base)]
            else:
                names = [node.module or ""]
            # `from postgov import api` names a module of the project package.
            if names == ["postgov"]:
                names = [f"postgov.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            yield name, id(node) not in top


def edges() -> dict[tuple[str, str], dict[str, set[str]]]:
    found: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(
        lambda: {"top": set(), "deferred": set()}
    )
    for path in sorted(PACKAGE.rglob("*.py")):
        if {"tests", "migrations"} & set(path.parts):
            continue
        this = module_name(path)
        source_app = app_of(this)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, deferred in imported_modules(tree, this):
            target_app = app_of(name)
            if target_app is None or target_app == source_app or source_app is None:
                continue
            found[(source_app, target_app)]["deferred" if deferred else "top"].add(this)
    return found


def main(argv: list[str]) -> int:
    found = edges()
    apps = sorted({a for pair in found for a in pair})
    markdown = "--markdown" in argv
    if markdown:
        print("| app | imports (modules; * = only inside functions) |")
        print("|---|---|")
    for app in apps:
        targets = []
        for (source, target), where in sorted(found.items()):
            if source != app:
                continue
            modules = where["top"] | where["deferred"]
            star = "" if where["top"] else "*"
            targets.append(f"{target}{star} ({len(modules)})")
        line = ", ".join(targets) or "—"
        print(f"| `{app}` | {line} |" if markdown else f"{app:10} -> {line}")
    cycles = sorted(
        (a, b) for (a, b) in found if a < b and (b, a) in found and PROJECT not in (a, b)
    )
    print()
    print("Apps that import each other:", ", ".join(f"{a} <-> {b}" for a, b in cycles) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
