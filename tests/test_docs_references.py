"""The code and its docs point only to documents in the repository: no design document or
issue tracker from outside, and every `domain.md §N` names a section that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHERE = ["postgov", "tests", "bench", "bin", "docs", "deploy", ".ci"]
FILES = ["README.md", "Makefile", "conftest.py", "pyproject.toml"]
SUFFIXES = {".py", ".md", ".html", ".js", ".css", ".txt", ".toml", ".po", ""}
# Generated, not kept in the repository (.gitignore).
SKIPPED = {"results", "node_modules", "__pycache__"}
# Written in two halves so that this file does not find itself.
OUTSIDE = re.compile("DESIGN" + r"\s*§|\b[Ii]ssue" + r"\s+#?\d+")
SECTION_REF = re.compile(r"domain\.md §(\d+(?:\.\d+)?)")


def _texts():
    paths = [ROOT / f for f in FILES]
    for top in WHERE:
        paths += [
            p
            for p in (ROOT / top).rglob("*")
            if p.is_file() and p.suffix in SUFFIXES and not SKIPPED & set(p.parts)
        ]
    for path in paths:
        try:
            yield path, path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue


def test_no_reference_to_documents_outside_the_repository():
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path, text in _texts()
        for match in OUTSIDE.finditer(text)
    ]
    assert not found, found


def test_every_domain_section_cited_exists():
    domain = (ROOT / "docs" / "domain.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\. ", domain, re.M))
    sections |= set(re.findall(r"^### (\d+\.\d+) ", domain, re.M))
    cited = {
        (match.group(1), str(path.relative_to(ROOT)))
        for path, text in _texts()
        for match in SECTION_REF.finditer(text)
    }
    assert cited, "nothing cites docs/domain.md"
    missing = sorted((section, path) for section, path in cited if section not in sections)
    assert not missing, missing
