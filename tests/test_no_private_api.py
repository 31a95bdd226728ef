"""The code uses Django's and psycopg's public API only.

Replacing or calling their private methods (`Model._do_insert`, `QuerySet._result_cache`,
`psycopg._queries`...) broke saves Django supports (a multi-table child's second save),
skipped the preparation of related rows, read from the wrong database, and breaks on the
next release, whose private signatures change without notice. This walks postgov/,
bench/ and bin/ for:

- an attribute named `_something` read or written on an object other than `self`,
  `cls` or `super()` (and other than one of our own modules), or named in
  `getattr`/`setattr`/`hasattr`;
- an import of a private module or name of Django or psycopg, or such a path in a string;
- a class of ours that defines, or reaches through `self`, a private name of a Django or
  psycopg class it inherits from (`_do_insert = ...` in a model mixin).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("postgov", "bench", "bin")
LIBRARIES = ("django", "psycopg")

# Underscored names that Django documents as public API.
DOCUMENTED = {
    "_meta",  # Model._meta: "the Model _meta API"
    "_default_manager",  # "Default managers"
    "_base_manager",  # "Base managers"
}
# `instance._state.adding` and `instance._state.db` are documented ("Model instance
# reference"); nothing else on `_state` is.
STATE_DOCUMENTED = {"adding", "db"}
# Not Django's or psycopg's: checked by this test's rule only by name, so each one is
# named here with whose it is.
NOT_THEIRS = {
    "_agency_credential",  # our own attribute on the request (agency API authentication)
    "_params",  # oauthlib's Request keeps the request's parameters there
    "_extract_params",  # oauthlib.oauth2 endpoint helper used by the OIDC views
    "_get_key_for_token",  # django-oauth-toolkit's validator
}
PRIVATE_PATH = re.compile(r"\b(?:django|psycopg)(?:\.\w+)*\._[A-Za-z]")


def private(name: str) -> bool:
    """`_name`: not a dunder, nor an enum's `_sunder_` (Python's documented enum API)."""
    return name.startswith("_") and not name.startswith("__") and not name.endswith("_")


def files() -> list[Path]:
    """The application, the benchmarks and the scripts; not their tests, which may look
    inside what they test."""
    return sorted(
        p
        for top in SCANNED
        for p in (ROOT / top).rglob("*.py")
        if "tests" not in p.relative_to(ROOT).parts
    )


def our_names(tree: ast.Module) -> set[str]:
    """Names bound to our own modules or objects by the module's imports."""
    ours = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (
            (node.module or "").startswith("postgov") or node.level  # relative: our own
        ):
            ours.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            ours.update(
                (alias.asname or alias.name).split(".")[0]
                for alias in node.names
                if alias.name.startswith("postgov")
            )
    return ours


def exempt_owner(node: ast.expr, ours: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in {"self", "cls"} or node.id in ours
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id == "super"
    return False


def attribute_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    ours = our_names(tree)
    where = path.relative_to(ROOT)
    found = []
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            if exempt_owner(node.value, ours) or node.attr in DOCUMENTED | NOT_THEIRS:
                continue
            if node.attr == "_state":
                parent = parents.get(node)
                if isinstance(parent, ast.Attribute) and parent.attr in STATE_DOCUMENTED:
                    continue
            found.append(f"{where}:{node.lineno}: .{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr", "hasattr", "delattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and private(node.args[1].value)
            and not exempt_owner(node.args[0], ours)
            and node.args[1].value not in DOCUMENTED | NOT_THEIRS
        ):
            found.append(f"{where}:{node.lineno}: {node.func.id}(…, {node.args[1].value!r})")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] in LIBRARIES and any(private(p) for p in parts):
                    found.append(f"{where}:{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and not node.level:
            parts = (node.module or "").split(".")
            if parts[0] in LIBRARIES and (
                any(private(p) for p in parts) or any(private(a.name) for a in node.names)
            ):
                names = ", ".join(a.name for a in node.names)
                found.append(f"{where}:{node.lineno}: from {node.module} import {names}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and PRIVATE_PATH.search(node.value)
        ):
            found.append(f"{where}:{node.lineno}: {node.value!r}")
    return found


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


@cache
def library_source(klass: type) -> str:
    try:
        return inspect.getsource(klass)
    except (OSError, TypeError):
        return ""


def library_bases(klass: type) -> list[type]:
    return [
        base
        for base in klass.__mro__[1:]
        if base.__module__.split(".")[0] in LIBRARIES and base is not object
    ]


def reached_privates(klass: type, node: ast.ClassDef) -> list[str]:
    """Private names of a Django or psycopg base class of `klass` that its body (`node`)
    defines or reaches through `self`."""
    bases = library_bases(klass)
    if not bases:
        return []
    defined = {name for name in vars(klass) if private(name)}
    parents = {child: sub for sub in ast.walk(node) for child in ast.iter_child_nodes(sub)}
    reached = {
        sub.attr
        for sub in ast.walk(node)
        if isinstance(sub, ast.Attribute)
        and private(sub.attr)
        and isinstance(sub.value, ast.Name)
        and sub.value.id in {"self", "cls"}
        and not (
            sub.attr == "_state"
            and isinstance(parents.get(sub), ast.Attribute)
            and parents[sub].attr in STATE_DOCUMENTED
        )
    }
    found = []
    for name in sorted((defined | reached) - DOCUMENTED):
        for base in bases:
            if name in vars(base) or re.search(rf"\bself\.{name}\b", library_source(base)):
                found.append(f"{klass.__name__}.{name} is {base.__qualname__}'s")
                break
    return found


def class_overrides(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.bases]
    if not classes:
        return []
    module = importlib.import_module(module_name(path))
    where = path.relative_to(ROOT)
    return [
        f"{where}: {use}"
        for node in classes
        if isinstance(getattr(module, node.name, None), type)
        for use in reached_privates(getattr(module, node.name), node)
    ]


def test_no_private_attribute_or_module_of_django_or_psycopg_is_used():
    found = [use for path in files() for use in attribute_uses(path)]
    assert found == []


def test_no_class_of_ours_replaces_or_reaches_a_private_name_of_its_django_base():
    # Only the application's modules are imported; bench/ and bin/ are scripts.
    skipped = {"migrations", "bench", "bin"}
    found = [
        use
        for path in files()
        if not set(path.relative_to(ROOT).parts) & skipped
        and path.name not in {"settings.py", "wsgi.py"}
        for use in class_overrides(path)
    ]
    assert found == []


def test_the_walk_finds_what_it_is_for(tmp_path, monkeypatch):
    """The uses this test exists for are found (so it cannot pass by finding nothing)."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from psycopg import _queries\n"
        "import django.db.models._private\n"
        "from django.db.models.query import _x\n"
        "qs._result_cache = []\n"
        "models.Model._do_insert(obj, manager, using, fields, None, False)\n"
        "backend._cache.get_client()\n"
        "obj._state.fields_cache\n"
        "obj._state.adding\n"
        "obj._meta.get_field('x')\n"
        "self._own\n"
        "getattr(qs, '_prefetch_done')\n"
        "pytest.importorskip('psycopg._queries')\n"
    )
    monkeypatch.setattr("tests.test_no_private_api.ROOT", tmp_path)
    found = [line.split(": ", 1)[1] for line in attribute_uses(sample)]
    assert sorted(found) == sorted(
        [
            "from psycopg import _queries",
            "import django.db.models._private",
            "from django.db.models.query import _x",
            "._result_cache",
            "._do_insert",
            "._cache",
            "._state",
            "getattr(…, '_prefetch_done')",
            "'psycopg._queries'",
        ]
    )


CLASSES = """
from django import forms
from django.core.cache.backends.redis import RedisCacheClient
from django.db import models


class Kept(models.Model):
    _do_insert = None

    class Meta:
        abstract = True
        app_label = "sample"


class Reusing(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        return self._client(connection_pool=self._get_connection_pool(write))


class Lazy(forms.ModelChoiceField):
    def own(self):
        return self._known, self._my_own

    queryset = property(lambda self: None, forms.ModelChoiceField._set_queryset)
"""


def test_the_class_check_finds_what_it_is_for():
    namespace: dict = {"__name__": "sample"}
    exec(compile(CLASSES, "sample.py", "exec"), namespace)  # noqa: S102 - the test's own text
    nodes = [n for n in ast.parse(CLASSES).body if isinstance(n, ast.ClassDef)]
    found = [use for node in nodes for use in reached_privates(namespace[node.name], node)]
    assert found == [
        "Kept._do_insert is Model's",
        "Reusing._client is RedisCacheClient's",
        "Reusing._get_connection_pool is RedisCacheClient's",
    ]


def test_no_module_imports_another_modules_private_name():
    """A module's `_name` is its own: another module that needs it asks for a public name,
    so a helper can change without breaking a caller it did not know of."""
    found = []
    for path in files():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("postgov"):
                found += [
                    f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}.{alias.name}"
                    for alias in node.names
                    if private(alias.name) and alias.name != "_"
                ]
    assert not found, "\n".join(found)
