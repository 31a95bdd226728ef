"""One idea, one name: the staff of a post office is one role set, gender is one enum, and
no two functions share a name while doing different things. Found by reading the code (an
AST walk), so a copy written out again fails here."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    p
    for p in sorted((ROOT / "postgov").rglob("*.py"))
    if "migrations" not in p.parts and "tests" not in p.parts
]
POINT_ROLES = {"CLERK", "POSTMAN", "SUPERVISOR"}
HOME_OF_POINT_ROLES = ROOT / "postgov" / "identity" / "models" / "accounts.py"


def _trees():
    for path in SOURCES:
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _role_names(node: ast.AST) -> set[str] | None:
    """`{Role.A, Role.B}` in a tuple, list, set or call's arguments: the member names."""
    if isinstance(node, ast.Call):
        elements = node.args
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        elements = node.elts
    else:
        return None
    names = {
        e.attr
        for e in elements
        if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and e.value.id == "Role"
    }
    return names if names and len(names) == len(elements) else None


def test_the_point_staff_role_set_is_written_once():
    copies = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path, tree in _trees()
        if path != HOME_OF_POINT_ROLES
        for node in ast.walk(tree)
        if _role_names(node) == POINT_ROLES
    ]
    assert not copies, f"use identity.models.POINT_ROLES instead of: {copies}"


def test_one_gender():
    found = [
        str(path.relative_to(ROOT))
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name == "Gender"
    ]
    assert found == ["postgov/lib/idcard.py"]


def test_version_in_force_is_one_function():
    # The catalog's fresh read and intake's cached, shared copy once had the same name;
    # the cached one is `cached_version_in_force`.
    found = [
        str(path.relative_to(ROOT))
        for path, tree in _trees()
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "version_in_force"
    ]
    assert found == ["postgov/catalog/queries.py"]
