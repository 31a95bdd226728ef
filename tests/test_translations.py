"""Vietnamese is complete (docs/domain.md §1) and the compiled catalogs match their sources."""

from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = sorted((ROOT / "postgov").glob("**/locale/vi/LC_MESSAGES/django.po"))


def test_there_are_catalogs():
    assert CATALOGS


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_is_translated(po_path):
    po = polib.pofile(str(po_path))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert not missing, f"untranslated in {po_path.name}: {missing[:10]} (run make messages)"


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalog_is_up_to_date(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run bin/messages.py --compile-only"
    source = {_key(e): _value(e) for e in polib.pofile(str(po_path)) if _value(e)}
    compiled = {_key(e): _value(e) for e in polib.mofile(str(mo_path)) if e.msgid}
    assert compiled == source, "run bin/messages.py --compile-only"


def _key(entry):
    return entry.msgctxt, entry.msgid


def _value(entry):
    if entry.msgid_plural:
        return tuple(sorted((int(k), v) for k, v in entry.msgstr_plural.items() if v))
    return entry.msgstr
