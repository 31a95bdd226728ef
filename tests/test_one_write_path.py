"""State changes go through one write path: each app declares the modules that change its
records' state (`AppConfig.action_modules`, `actions` at least), views, forms, commands,
APIs and other apps call them, and row locks are taken through `postgov.lib.locking`.

Read from the source, so a shortcut added anywhere fails here rather than in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "postgov"
# The fields that say where a record is in its life.
STATE_FIELDS = {"status", "state", "flag"}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path, ast.parse(path.read_text(), filename=str(path))


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def action_modules() -> set[str]:
    names = set()
    for config in apps.get_app_configs():
        if config.name.startswith("postgov."):
            declared = getattr(config, "action_modules", ("actions",))
            names |= {f"{config.name}.{module}" for module in declared}
    return names


def _on_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in {"self", "cls"}


def state_writes(tree: ast.AST):
    """(line, what) for each place that sets a state field."""
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                if (
                    isinstance(element, ast.Attribute)
                    and element.attr in STATE_FIELDS
                    and not _on_self(element.value)
                ):
                    yield node.lineno, f".{element.attr} ="
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in {"update", "update_or_create", "create"}:
                for keyword in node.keywords:
                    if keyword.arg in STATE_FIELDS and node.func.attr == "update":
                        yield node.lineno, f".update({keyword.arg}=…)"
            if node.func.attr == "bulk_update" and len(node.args) > 1:
                fields = node.args[1]
                if isinstance(fields, (ast.List, ast.Tuple)) and any(
                    isinstance(e, ast.Constant) and e.value in STATE_FIELDS for e in fields.elts
                ):
                    yield node.lineno, ".bulk_update(…state…)"


def test_state_changes_only_in_action_modules():
    allowed = action_modules()
    found = []
    for path, tree in modules():
        name = module_name(path)
        if name in allowed:
            continue
        found += [f"{name}:{line} {what}" for line, what in state_writes(tree)]
    assert not found, "state changed outside the app's action modules:\n" + "\n".join(found)


def test_declared_action_modules_exist():
    for name in action_modules():
        path = ROOT / Path(*name.split("."))
        assert path.with_suffix(".py").exists() or (path / "__init__.py").exists(), name


def test_row_locks_only_through_locking():
    found = [
        f"{module_name(path)}:{node.lineno}"
        for path, tree in modules()
        if path != PACKAGE / "lib" / "locking.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "select_for_update"
    ]
    assert not found, "select_for_update outside postgov.lib.locking:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("case.status = 'failed'", [".status ="]),
        ("a, leg.flag = 1, 2", [".flag ="]),
        ("Model.objects.filter(pk=1).update(status='x')", [".update(status=…)"]),
        ("Model.objects.bulk_update(rows, ['flag', 'flagged_at'])", [".bulk_update(…state…)"]),
        ("self.status = 3", []),
        ("case.note = 'x'", []),
    ],
)
def test_the_checker_sees_state_writes(source, expected):
    assert [what for _line, what in state_writes(ast.parse(source))] == expected
