"""`bin/app_imports.py` reads the imports between apps (docs/architecture.md, "Which app
imports which"); the helpers in `postgov/lib` sit below every app and import none."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location("app_imports", ROOT / "bin" / "app_imports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_sees_the_imports_between_apps():
    edges = _script().edges()
    # Two imports everyone can check by reading the modules.
    assert "postgov.dossiers.workflow" in edges[("dossiers", "identity")]["top"]
    assert "postgov.dossiers.carriage.manifests" in edges[("dossiers", "delivery")]["top"]


def test_lib_imports_no_app():
    found = {
        target: where for (source, target), where in _script().edges().items() if source == "lib"
    }
    assert not found, found
