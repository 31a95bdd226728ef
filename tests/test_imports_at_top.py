"""Imports sit at the top of their module, where import-linter and a reader see them. One
inside a function (an `AppConfig.ready`, a load that must wait for the app registry, an
optional package) says why in a comment just above it or its group.

Read from the source, so a hidden import added anywhere fails here rather than in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "postgov"


def _module_level(tree: ast.Module) -> set[int]:
    """Imports of the module itself, including those under a module-level try or if."""
    ids = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Try, ast.If)):
            ids |= {id(sub) for sub in ast.walk(node)}
    return ids


def unexplained_imports(source: str) -> list[int]:
    """Lines of imports inside functions or classes with no comment above them, nor above
    the imports just before them."""
    tree = ast.parse(source)
    lines = source.splitlines()
    top = _module_level(tree)
    imports = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top
    ]
    spans = {node.lineno: node.end_lineno for node in imports}
    found = []
    for node in imports:
        line = node.lineno - 1  # 1-based line above the import
        while True:
            text = lines[line - 1].strip() if line >= 1 else ""
            starts = [start for start, end in spans.items() if end == line]
            if starts:  # another import of the group: look above it
                line = starts[0] - 1
            elif text == "" and line >= 1 and lines[line - 1] == "":
                line -= 1
            else:
                break
        if not text.startswith("#") and "#" not in lines[node.lineno - 1]:
            found.append(node.lineno)
    return found


def test_imports_inside_functions_say_why():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        rel = path.relative_to(ROOT)
        found += [f"{rel}:{line}" for line in unexplained_imports(path.read_text())]
    assert not found, "imports inside functions without a reason:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import os\n\ndef f():\n    return os\n", []),
        ("def f():\n    import os\n    return os\n", [2]),
        ("def f():\n    # why\n    import os\n    import re\n    return os, re\n", []),
        ("def f():\n    import os  # why\n    return os\n", []),
        ("def f():\n    x = 1\n    from os import (\n        path,\n    )\n    return x\n", [3]),
        ("try:\n    import psycopg\nexcept ImportError:\n    psycopg = None\n", []),
    ],
)
def test_the_checker_sees_hidden_imports(source, expected):
    assert unexplained_imports(source) == expected
