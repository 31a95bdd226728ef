#!/usr/bin/env python
"""Extract translatable strings into each app's Vietnamese catalog and compile them.

Each app keeps its own `locale/vi/LC_MESSAGES/django.po`, so people working on different
apps do not edit the same file. Extraction needs GNU gettext (xgettext); compilation uses
polib, so the committed .mo files can be rebuilt anywhere.

Usage: bin/messages.py [--compile-only]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polib

# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "postgov"


def catalog_dirs() -> list[Path]:
    apps = [p for p in sorted(PACKAGE.iterdir()) if (p / "apps.py").exists()]
    return [PACKAGE, *apps]


def extract(directory: Path) -> None:
    (directory / "locale" / "vi" / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    ignore = []
    if directory == PACKAGE:
        # The project package's own strings only; each app extracts its own.
        ignore = [f"--ignore={p.name}/*" for p in catalog_dirs()[1:]]
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "makemessages",
            "-l",
            "vi",
            "--no-obsolete",
            "--no-location",
            "--no-wrap",
            *ignore,
        ],
        cwd=directory,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "postgov.settings"},
    )


def compile_all() -> None:
    for po_path in PACKAGE.glob("**/locale/vi/LC_MESSAGES/django.po"):
        polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))


if __name__ == "__main__":
    if "--compile-only" not in sys.argv:
        for directory in catalog_dirs():
            extract(directory)
    compile_all()
    untranslated = []
    for po_path in sorted(PACKAGE.glob("**/locale/vi/LC_MESSAGES/django.po")):
        po = polib.pofile(str(po_path))
        missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]
        if missing:
            untranslated.append((po_path.relative_to(ROOT), len(missing)))
    for path, count in untranslated:
        print(f"{path}: {count} string(s) to translate")
