"""The thin management commands around import and export."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from postgov.catalog.demo import DEMO_CATALOG
from postgov.catalog.models import Procedure


def test_import_then_export_then_import_again(tmp_path, db):
    out = io.StringIO()
    call_command("import_catalog", str(DEMO_CATALOG), stdout=out)
    assert "30 new" in out.getvalue()
    assert not Procedure.objects.filter(is_demo=True).exists()  # a plain import is not demo

    exported = tmp_path / "catalog.csv"
    call_command(
        "export_catalog", "--format", "csv", "--output", str(exported), stderr=io.StringIO()
    )
    out = io.StringIO()
    call_command("import_catalog", str(exported), "--dry-run", stdout=out)
    assert "Would import: 30 procedures — 0 new, 0 changed, 30 unchanged" in out.getvalue()


def test_export_to_standard_output(demo_catalog):
    out = io.StringIO()
    call_command("export_catalog", "--format", "json", stdout=out)
    assert len(json.loads(out.getvalue())["procedures"]) == Procedure.objects.count()


def test_a_bad_file_lists_the_problems_and_fails(tmp_path, db):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"code": "x"}]', encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_catalog", str(bad), stderr=err)
    assert "Mục [0].code: mã thủ tục “x” không đúng dạng" in err.getvalue()
    assert not Procedure.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path, db):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_catalog", str(tmp_path / "nope.csv"))
